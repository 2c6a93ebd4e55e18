"""`nnviz run [SCENARIO]`: open the explorer (the main CLI attaches this command).

The scenario file is loaded and checked before the app opens, so a bad file gets the loader's
one-line error and exit status 2 instead of a screen. Textual is imported only after that.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from nnviz.cli import complete_scenario, install_signal_handlers, leave_at_once, one_line
from nnviz.cli.common import Overrides, load_option, override_options


@click.command("run", short_help="Step through backpropagation in the explorer (default xor).")
@click.argument("scenario", required=False, default="xor", shell_complete=complete_scenario)
@override_options
@load_option
@click.option(
    "--ascii",
    "ascii_mode",
    is_flag=True,
    help="Draw the regions with one character per class (no colour needed); on by itself "
    "under NO_COLOR and on dumb or 16-colour terminals.",
)
@click.option(
    "--experiment",
    type=click.Choice(("race", "sweep", "health")),
    default=None,
    help="Open straight on the experiments screen (x in the explorer): race the optimizers "
    "sgd, momentum, rmsprop and adam; sweep the learning rate over 1e-4…1 (13 points); or "
    "show each layer's gradient health. Escape goes back to the explorer.",
)
@click.option(
    "--history",
    "history_mib",
    type=click.FloatRange(min=0),
    default=None,
    metavar="MIB",
    help="Memory for the history of steps the time-travel keys go back through, in MiB "
    "(default 256; every step is kept while it fits, then keyframes and steps re-run from "
    "them). 0 keeps no history: xor trains a little faster at full speed.",
)
@click.option(
    "--replay",
    type=click.Path(dir_okay=False),
    metavar="RUN",
    default=None,
    help="Open a run recorded by nnviz train --record at its end; the history keys go back "
    "through it (the run's own settings: no SCENARIO or overrides).",
)
def run(scenario: str, ascii_mode: bool, experiment: str | None, replay: str | None,
        history_mib: float | None, **options) -> None:  # fmt: skip
    """Step through backpropagation and watch SCENARIO learn (a shipped name or a .toml file;
    default xor). The overrides are `nnviz train`'s.

    \b
    Examples:
      nnviz run xor
      nnviz run xor --lr 0.1 --optimizer momentum
      nnviz run xor --experiment race      (the race's loss curves and regions)
      nnviz run circles --experiment sweep (final losses against the learning rate)
      nnviz run vanishing --experiment health
    """
    from nnviz.scenario import ScenarioError

    overrides = Overrides.of(options)
    seed, data_dir = overrides.seed, overrides.data_dir
    history_budget = _history_budget(history_mib)
    session = None
    if replay is not None:
        given = [k for k, v in options.items() if v is not None and k != "data_dir"]
        if given:
            _fail(f"--replay takes the run's own settings: drop --{given[0].replace('_', '-')}")
        session = _replayed(replay, data_dir)
        loaded, scenario = session.scenario, session.scenario.name
    else:
        try:
            loaded = overrides.load_scenario(scenario)
        except ScenarioError as exc:
            _fail(str(exc))
    if experiment and loaded.model is None:
        _fail(f"{loaded.path.name}: --experiment: an expression graph has nothing to train")
    problem = terminal_problem()
    if problem:
        _fail(f"the explorer needs a terminal: {problem}; nnviz train runs without one")

    # The app opens at once; its loading screen covers importing the engine, building the
    # session and loading (or compiling) the kernels. A session that cannot be built (data
    # that do not fit the network, a missing data file) ends it with the same kind of line.
    from nnviz.tui import make_app
    from nnviz.tui.colours import too_few_colours

    ascii_mode = ascii_mode or too_few_colours(os.environ)
    app = make_app(
        scenario, seed=seed, ascii=ascii_mode, data_dir=data_dir, scenario=loaded,
        session=session, exit_on_error=True, weights=overrides.load, experiment=experiment,
        history_budget=history_budget,
    )  # fmt: skip
    stopped_by: list[int] = []

    def stop(signum, frame):  # SIGTERM, SIGHUP: leave the screen as q does, then say so
        stopped_by.append(signum)
        app.exit(return_code=128 + signum)
        # An app that cannot close (its terminal gone with the signal) must not outlive it:
        # a second signal, or STOP_GRACE_S without the app closed, ends the process here.
        if len(stopped_by) > 1:
            _end_now(app, signum)
        import threading

        timer = threading.Timer(STOP_GRACE_S, _end_now, args=(app, signum))
        timer.daemon = True
        grace.append(timer)
        timer.start()

    grace: list = []  # the timers of the signals received
    install_signal_handlers(stop)
    app.run()
    for timer in grace:  # the app closed in time
        timer.cancel()
    leave_at_once()
    if stopped_by:
        import signal

        code = 128 + stopped_by[0]
        with contextlib.suppress(OSError):  # the terminal may be gone with the signal
            click.echo(f"nnviz: stopped by {signal.Signals(stopped_by[0]).name}", err=True)
        raise SystemExit(code)
    if app.error_message:
        _fail(app.error_message)
    if app.return_code:
        raise SystemExit(app.return_code)


def _history_budget(mib: float | None) -> int | None:
    """The bytes --history gives each run's history (None: no history), checked against the
    bound and this machine's memory before anything is taken."""
    from nnviz.limits import DEFAULT_HISTORY_BYTES, MAX_HISTORY_BYTES, size_text

    if mib is None:
        return DEFAULT_HISTORY_BYTES
    budget = int(mib * (1 << 20))
    if budget == 0:
        return None
    given = f"--history {mib:.12g}"
    if budget > MAX_HISTORY_BYTES:
        _fail(f"{given}: more than the {size_text(MAX_HISTORY_BYTES)} a history may hold")
    memory = _physical_memory()
    if memory and budget > memory:
        _fail(f"{given}: more than this machine's memory ({memory / (1 << 30):.1f} GiB)")
    return budget


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


STOP_GRACE_S = 3.0  # after SIGTERM or SIGHUP, for the app to close before the process ends


def _end_now(app, signum: int) -> None:
    """End the process with the signal's exit code, the compile child stopped first."""
    import signal

    with contextlib.suppress(Exception):  # whatever state the app is in, it ends
        app.stop_kernels()
    with contextlib.suppress(OSError):
        os.write(2, f"nnviz: stopped by {signal.Signals(signum).name}\n".encode())
    os._exit(128 + signum)


def _replayed(path: str, data_dir: str | None):
    """The session of a recorded run, its trainer at the run's end and its history attached
    (nnviz.record); a bad record ends here in one line."""
    from nnviz.errors import InputError
    from nnviz.record import open_record, read_record

    try:
        session, _ = open_record(read_record(path), data_dir=data_dir)
    except InputError as exc:
        _fail(str(exc))
    return session


def terminal_problem() -> str | None:
    """Why the explorer cannot run here (stdin or stdout closed or not a terminal), or None."""
    for name in ("stdin", "stdout"):
        stream = getattr(sys, name)
        if stream is None or stream.closed:
            return f"standard {'input' if name == 'stdin' else 'output'} is closed"
        try:
            if not stream.isatty():
                return f"standard {'input' if name == 'stdin' else 'output'} is not a terminal"
        except (ValueError, OSError):
            return f"standard {'input' if name == 'stdin' else 'output'} is not usable"
    return None


def _fail(message: str):
    click.echo(f"nnviz: {one_line(message)}", err=True)
    raise SystemExit(2)

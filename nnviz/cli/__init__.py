"""The `nnviz` command. Subcommands load lazily, so `nnviz --help` and `nnviz list` stay fast
(neither imports numba nor textual)."""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import signal
import sys
import warnings

import click

from nnviz.errors import InputError
from nnviz.text import printable

# command name → (module, attribute): imported only when that command runs or is listed.
_COMMANDS = {
    "run": ("nnviz.cli.run", "run"),
    "train": ("nnviz.cli.train", "train"),
    "list": ("nnviz.cli", "list_command"),
    "info": ("nnviz.cli.inspection", "info"),
    "check": ("nnviz.cli.inspection", "check"),
    "trace": ("nnviz.cli.inspection", "trace"),
    "data": ("nnviz.cli.data", "data"),
    "export": ("nnviz.cli.export", "export"),
    "race": ("nnviz.cli.experiments", "race"),
    "sweep": ("nnviz.cli.experiments", "sweep"),
    "cv": ("nnviz.cli.experiments", "cv"),
    "health": ("nnviz.cli.health", "health"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(_COMMANDS)

    def get_command(self, ctx, name):
        if name not in _COMMANDS:
            return None
        module, attr = _COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def main(self, args=None, prog_name=None, **extra):
        """Every failure is one line on stderr and a non-zero exit, never a traceback."""
        _tolerant_streams()
        if sys.stdout is None:  # `nnviz ... >&-`: whatever it computes could not be shown
            _say("standard output is closed: nothing could be written")
            sys.exit(1)
        install_signal_handlers()
        # Values are checked where they enter (files, weights, settings) and the trainer
        # names a non-finite loss itself: numpy's own warnings would only add noise.
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            rv = super().main(args, prog_name or "nnviz", standalone_mode=False, **extra)
            sys.stdout.flush()  # a full disk shows here, not as a traceback at exit
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            _say("aborted")
            sys.exit(130)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "nnviz"
            click.echo(f"{where}: {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _say(one_line(exc.format_message()))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _say("interrupted")
            sys.exit(130)
        except Terminated as exc:
            _say(f"stopped by {exc.name}")
            sys.exit(128 + exc.signum)
        except InputError as exc:  # the user's input is wrong: say what, briefly
            _say(one_line(str(exc)))
            sys.exit(2)
        except OSError as exc:
            _stdout_to_devnull()
            if exc.errno == errno.EPIPE:  # the reader went away (| head): nothing to say
                sys.exit(1)
            where = f"{exc.filename}: " if exc.filename else "cannot write the output: "
            _say(f"{where}{exc.strerror or exc}")
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the program is so that every cleanup (``finally``, the
    atomic writer) runs as it does for Ctrl-C. Not a KeyboardInterrupt: click would turn that
    into an Abort and print a blank line first."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


def _raise_terminated(signum, frame):
    raise Terminated(signum)


# Signals that end nnviz as Ctrl-C does: one line, exit 128 + n, nothing half-written.
TERMINATING = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def install_signal_handlers(handler=_raise_terminated) -> None:
    """SIGTERM and SIGHUP as Terminated (or `handler`), where they are not ignored."""
    for signum in TERMINATING:
        try:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup keeps SIGHUP ignored
                signal.signal(signum, handler)
        except ValueError:  # not the main thread (nnviz.cli.main called from a thread)
            return


def _tolerant_streams() -> None:
    """Characters the output's encoding lacks (LC_ALL=C, PYTHONIOENCODING=ascii) come out as
    '?' instead of a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (getattr(stream, "errors", "") or "strict") == "strict":
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


def _stdout_to_devnull() -> None:
    """After a failed write, point stdout at /dev/null so the interpreter's last flush of the
    same buffer does not fail again with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _say(message: str) -> None:
    """One line on stderr: 'nnviz: message' (with control characters made visible)."""
    if sys.stderr is None:
        return
    with contextlib.suppress(OSError):
        click.echo(f"nnviz: {printable(message, one_line=True)}", err=True)


def one_line(text: str) -> str:
    """The text on one line, control characters made visible: safe to print."""
    return printable(" ".join(str(text).split()), one_line=True)


def complete_scenario(ctx, param, incomplete):
    """Shipped scenario names, then `.toml` files, with the prefix typed; folders too when
    what is typed looks like a path or names no scenario, to walk down to a file."""
    from nnviz.scenario import scenario_names

    names = [name for name in scenario_names() if name.startswith(incomplete)]
    pathlike = incomplete.startswith((".", "~", "/")) or "/" in incomplete
    return names + toml_paths(incomplete, with_folders=pathlike or not names)


def toml_paths(incomplete: str, *, with_folders: bool) -> list[str]:
    """`.toml` files (and folders, ending in /) whose path starts with `incomplete`."""
    from pathlib import Path

    cut = incomplete.rfind("/") + 1
    folder, stem = incomplete[:cut], incomplete[cut:]
    try:
        entries = sorted(Path(folder or ".").expanduser().iterdir())
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(stem) or (entry.name.startswith(".") and not stem):
            continue
        try:
            if entry.is_dir():
                if with_folders and entry.name != "__pycache__":
                    out.append(f"{folder}{entry.name}/")
            elif entry.suffix == ".toml":
                out.append(f"{folder}{entry.name}")
        except OSError:
            continue
    return out


def help_when_bare(ctx: click.Context) -> None:
    """A group called with no command prints its help on stdout and exits 0.

    Click 8.2 made a bare group call a usage error (exit 2); `invoke_without_command=True` with
    this check in the group's body gives the same help-and-success under every click version.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        ctx.exit(0)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="nnviz", prog_name="nnviz")
@click.pass_context
def cli(ctx):
    """nnviz: watch a neural network learn, one number at a time.

    \b
    Start here:
      nnviz run xor          step through forward, backward and update of a 2-4-1 net
      nnviz train mnist      train headless, fast
      nnviz list             the shipped scenarios
    """
    help_when_bare(ctx)


@click.command("list", short_help="List the shipped scenarios.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: one scenario event each.")
def list_command(as_json):
    """List the shipped scenarios with their descriptions."""
    from nnviz.scenario import list_scenarios, scenario_dir

    rows = list_scenarios()
    if not rows:
        raise click.ClickException(
            f"no shipped scenarios in {scenario_dir()}: nnviz is not fully installed"
        )
    if as_json:
        from nnviz.cli.jsonl import emit

        for name, description in rows:
            emit("scenario", {"name": name, "description": description})
        return
    rows = [(printable(name, one_line=True), printable(text, one_line=True)) for name, text in rows]
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")


_LEAVE_AT_ONCE = False


def leave_at_once() -> None:
    """End the process as soon as the command returns, skipping the interpreter's teardown:
    after the explorer, freeing the engine's compiled code and modules took seconds on a busy
    machine, and q should end nnviz at once. Output is flushed first; nothing else is left."""
    global _LEAVE_AT_ONCE
    _LEAVE_AT_ONCE = True


def main():
    try:
        cli.main()
    except SystemExit as leaving:
        if not _LEAVE_AT_ONCE:
            raise
        _exit_now(leaving.code)
    if _LEAVE_AT_ONCE:
        _exit_now(0)


def _exit_now(code) -> None:
    if not isinstance(code, int):
        if code is not None:
            _say(str(code))
        code = 0 if code is None else 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)

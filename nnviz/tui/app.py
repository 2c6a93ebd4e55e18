"""The thin App: open a scenario (in a worker), show its screen.

The kernels come from the cache when they are there (a warm start). Otherwise the screen opens
at once with the kernels running as Python, while a child process compiles them
(nnviz.warmup.BackgroundKernels); a line over the footer shows how far it is, and full-speed
play waits until the machine code is loaded. Quitting ends the child.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding

from nnviz.errors import InputError
from nnviz.limits import DEFAULT_HISTORY_BYTES
from nnviz.tui import keys
from nnviz.tui.commands import ScenarioCommands
from nnviz.tui.crashlog import failure_message
from nnviz.tui.messages import KernelsChanged
from nnviz.tui.screens.loading import ErrorScreen, LoadingScreen
from nnviz.tui.widgets.kernels import KernelStatus

# False: compile missing kernels in this process, as the headless commands do (the in-process
# interface tests, which must not depend on how warm the cache is)
BACKGROUND_COMPILE = True
# How long a thread may keep the interpreter while another waits for it. A training worker
# takes it back after every call of its kernels; at Python's 5 ms it waited on the frames the
# interface was drawing (xor at full speed: a tenth of its training time), at 0.2 ms barely.
SWITCH_INTERVAL_S = 0.0002


class NnvizApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "nnviz"
    COMMANDS = App.COMMANDS | {ScenarioCommands}
    BINDINGS = keys.bindings(keys.APP)

    def __init__(
        self,
        target: str | Path = "xor",
        *,
        seed: int | None = None,
        ascii_mode: bool = False,
        data_dir: str | Path | None = None,
        scenario=None,
        session=None,
        animate: bool = True,
        exit_on_error: bool = False,
        experiment: str | None = None,
        weights: str | Path | None = None,
        history_budget: int | None = DEFAULT_HISTORY_BYTES,
    ):
        super().__init__()
        self.experiment = experiment  # open the experiments screen on this one at once
        self.weights_path = weights  # --load: the first scenario starts from these weights
        self.history_budget = history_budget  # bytes for each run's history (None: none)
        self.exit_on_error = exit_on_error
        self.error_message: str | None = None
        self.target = str(target)
        self.seed = seed
        self.ascii_mode = ascii_mode
        self.data_dir = data_dir
        self.animate = animate
        self._given = (scenario, session)
        self.controller = None
        self.ready = asyncio.Event()
        self.load_seconds = 0.0
        self.kernels = None  # nnviz.warmup.BackgroundKernels while they compile

    def on_mount(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        scenario, session = self._given
        self.push_screen(LoadingScreen(self.target, animate=self.animate))
        self._load(self.target, scenario, session, self.seed)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)

    def open_scenario(self, name: str) -> None:
        """Switch to another scenario (from the command palette)."""
        cancel = getattr(self.screen, "cancel", None)
        if callable(cancel):
            cancel()
        self.ready.clear()
        self.switch_screen(LoadingScreen(name, animate=self.animate))
        self._load(name, None, None, None)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, target: str, scenario, session, seed: int | None) -> None:
        import time

        t0 = time.perf_counter()
        try:
            from nnviz.explorer import Controller
            from nnviz.session import build

            if BACKGROUND_COMPILE:
                from nnviz.warmup import interactive

                interactive()  # never compile here; Python until the cache is looked at

            if session is None:
                if scenario is None:
                    from nnviz.scenario import load_scenario

                    scenario = load_scenario(target)
                if seed is not None:
                    scenario = scenario.with_overrides(seed=seed)
                session = build(scenario, data_dir=self.data_dir, threads=1)
            weights = None
            if self.weights_path is not None and self.controller is None:
                from nnviz.weights import load_weights

                weights = load_weights(self.weights_path, session.model.params())
                session.model.set_params(weights)
            ctl = Controller(session, data_dir=self.data_dir, weights=weights,
                             history_budget=self.history_budget)  # fmt: skip
            self._open_kernels(ctl, session)
        except (InputError, OSError) as exc:  # shown on screen (or, from the CLI, after it)
            message = " ".join(str(exc).split()) or type(exc).__name__
            if not message.startswith(Path(target).name):
                message = f"{target}: {message}"
            self.call_from_thread(self._failed, message)
            return
        except Exception as exc:  # noqa: BLE001 (a bug: said in one line, traceback logged)
            self.call_from_thread(self._failed, f"{target}: {failure_message(exc, 'opening')}")
            return
        self.load_seconds = time.perf_counter() - t0
        self.call_from_thread(self._opened, ctl)

    def _open_kernels(self, ctl, session) -> None:
        """Load the kernels from the cache, or have a child process compile them."""
        from nnviz.warmup import BackgroundKernels, open_kernels, tell_notices_to

        if not BACKGROUND_COMPILE:
            ctl.warm_up()
            return
        # stderr is not the user's while the screen is up
        tell_notices_to(lambda text: self.notify(f"nnviz: {text}", severity="warning"))
        warm = open_kernels(ctl)
        self.stop_kernels()  # one compiling for another scenario is of no more use
        self.kernels = None
        if warm:
            return
        self.kernels = BackgroundKernels(
            session.scenario, self.data_dir, on_change=lambda state: self.post_message(
                KernelsChanged(state))
        )  # fmt: skip
        self.kernels.start()

    def kernels_pending(self) -> str | None:
        """Why full-speed play must wait (the kernels still compile), or None."""
        kernels = self.kernels
        if kernels is None or kernels.state.phase in ("ready", "failed"):
            return None
        return kernels.state.progress()

    def stop_kernels(self) -> None:
        if self.kernels is not None:
            self.kernels.stop()

    def _opened(self, ctl) -> None:
        from nnviz.tui.screens import pick_screen

        self.controller = ctl
        screen = pick_screen(ctl, ascii_mode=self.ascii_mode)
        self.switch_screen(screen)
        # once the screen has composed itself (a widget mounted before would come first)
        self.call_after_refresh(self._show_kernel_status, screen)
        if self.experiment and not ctl.is_graph:
            from nnviz.tui.screens.experiments import ExperimentsScreen

            self.push_screen(
                ExperimentsScreen(ctl.scenario, data_dir=self.data_dir, which=ctl.which,
                                  ascii_mode=self.ascii_mode, first=self.experiment)
            )  # fmt: skip
            self.experiment = None  # once: a scenario opened later shows its explorer
        self.ready.set()

    def _show_kernel_status(self, screen) -> None:
        kernels = self.kernels
        if kernels is None or kernels.ready or not screen.is_attached:
            return
        if not screen.query(KernelStatus):
            screen.mount(KernelStatus(kernels, id="kernel-status"))

    def on_kernels_changed(self, message: KernelsChanged) -> None:
        state = message.state
        for status in self.screen.query(KernelStatus):
            if state.phase == "ready":
                status.remove()
            else:
                status.show_state()
        if state.phase in ("ready", "failed"):
            ready = getattr(self.screen, "kernels_ready", None)
            if callable(ready):
                ready()
            self.notify(
                state.describe(), severity="warning" if state.phase == "failed" else "information"
            )

    def exit(self, *args, **kwargs) -> None:
        self.stop_kernels()  # at once: the child must not outlive the screen
        super().exit(*args, **kwargs)

    def run(self, *args, **kwargs):
        try:
            return super().run(*args, **kwargs)
        finally:
            self.stop_kernels()

    def _failed(self, message: str) -> None:
        if self.exit_on_error and self.controller is None:
            # the first scenario cannot be opened: leave, and let the CLI say why (exit 2)
            self.error_message = message
            self.exit(return_code=2)
            return
        self.switch_screen(ErrorScreen(message))
        self.ready.set()

    def action_help(self) -> None:
        from nnviz.tui.screens.help import HelpScreen, help_title

        if isinstance(self.screen, HelpScreen):
            return
        # the history's budget: the explorer's Controller (the MNIST view's is the app's)
        ctl = getattr(self.screen, "ctl", None) or self.controller
        timeline = getattr(ctl, "timeline", None)
        notes = [timeline.describe()] if timeline is not None else []
        if timeline is None and getattr(ctl, "trainer", None) is not None:
            notes = ["history: none kept (nnviz run --history 0): the history keys have no "
                     "steps to go back to"]  # fmt: skip
        self.push_screen(HelpScreen(help_rows(self), help_title(self.screen), notes))

    async def action_quit(self) -> None:
        self.stop_kernels()
        cancel = getattr(self.screen, "cancel", None)
        if callable(cancel):
            cancel()
        self.exit()


def help_rows(app: App) -> list[tuple[str, str]]:
    """The key map's rows for what the screen binds (its own keys, those of the focused widget
    and its parents, and the app's), in the order they are bound."""
    screen = app.screen
    nodes = []
    node = screen.focused
    while node is not None and node is not screen:
        nodes.append(node)
        node = node.parent
    nodes += [screen, app]
    actions: list[str] = []
    for node in reversed(nodes[:-1]):  # the screen's first, then the focused widget's
        actions += _mapped_actions(node)
    actions += _mapped_actions(app)

    def display(key: str) -> str:
        return app.get_key_display(Binding(key, ""))

    rows: list[tuple[str, str]] = []
    for node in nodes[:-2]:  # a focused panel's own keys come first: they take precedence
        table = getattr(type(node), "HELP_KEYS", None)
        if table is not None:
            rows += [("", node.HELP_HEADING), *keys.panel_help_rows(*table, display), ("", "")]
    return rows + keys.help_rows(list(dict.fromkeys(actions)), display)


def _mapped_actions(node) -> list[str]:
    mapped = {key.action for key in keys.KEYS}
    found = [b.action for b in Binding.make_bindings(getattr(type(node), "BINDINGS", []))]
    return [a for a in found if a in mapped]


def make_app(
    scenario_name_or_path: str | Path = "xor",
    seed: int | None = None,
    ascii: bool = False,  # noqa: A002 (the CLI's option name)
    data_dir: str | Path | None = None,
    *,
    scenario=None,
    session=None,
    animate: bool = True,
    exit_on_error: bool = False,
    experiment: str | None = None,
    weights: str | Path | None = None,
    history_budget: int | None = DEFAULT_HISTORY_BYTES,
) -> NnvizApp:
    """The explorer for a scenario (a shipped name or a .toml path).

    `scenario` / `session` may be given already loaded / built (the CLI checks the file before
    the app opens); `animate=False` keeps the loading screen still (for snapshots);
    `exit_on_error` makes a scenario that cannot be built end the app with return code 2 and
    `app.error_message` instead of showing the error; `experiment` ("race", "sweep",
    "health") opens the experiments screen on it over the scenario's screen;
    `history_budget` is the bytes each run's history may hold (None: no history).
    """
    return NnvizApp(
        scenario_name_or_path,
        seed=seed,
        ascii_mode=ascii,
        data_dir=data_dir,
        scenario=scenario,
        session=session,
        animate=animate,
        exit_on_error=exit_on_error,
        experiment=experiment,
        weights=weights,
        history_budget=history_budget,
    )

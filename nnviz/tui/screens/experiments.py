"""The experiments screen (key `x` in the explorer, or `nnviz run SCENARIO --experiment KIND`):
the scenario's optimizers raced, its learning rate swept, and its gradient health over
training, one experiment at a time (`x` goes to the next).

Each experiment runs in a thread worker over the engine's generators (nnviz.experiments'
run_settings, nnviz.health's track) on sessions of its own, never the explorer's; the worker
posts copies of each result as it comes, and the screen draws only from those. Escape stops
a running experiment (within a training chunk) or goes back; `r` runs it again. A worker that
fails says so in one line and keeps its traceback in a log file (nnviz.tui.crashlog).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import Worker, get_current_worker

from nnviz import regions
from nnviz.train import Diverged
from nnviz.tui import keys
from nnviz.tui.crashlog import failure_message
from nnviz.tui.draw.canvas import Canvas
from nnviz.tui.gate import StartGate
from nnviz.tui.screens.base import BaseView
from nnviz.tui.widgets.experiment_views import health_text, race_text, sweep_text
from nnviz.tui.widgets.marks import marks_note, unit_flags, unit_label
from nnviz.tui.widgets.painters import paint_curve, paint_regions
from nnviz.tui.widgets.panels import TextPanel

KINDS = ("race", "sweep", "health")
TITLES = {
    "race": "Race optimizers",
    "sweep": "Sweep the learning rate",
    "health": "Gradient health",
}
HEALTH_SAMPLES = 20


@dataclass
class ExperimentUpdate(Message):
    """One result of a running experiment (a copy), or its end."""

    kind: str
    generation: int
    item: object = None  # a (Run, Model) of a race or a sweep, a HealthSample
    total: int = 0  # results to expect, when known
    done: bool = False
    error: str = ""
    cancelled: bool = False


@dataclass
class Results:
    """What one experiment has produced so far."""

    items: list = field(default_factory=list)
    models: list = field(default_factory=list)  # a race's trained networks, for the maps
    total: int = 0
    state: str = "waiting"  # waiting, running, done, cancelled, failed
    message: str = ""
    generation: int = 0  # of the worker that fills it


class Scroller(VerticalScroll, can_focus=False):
    """Scrolls by PgUp/PgDn and the wheel; the keys stay the screen's."""


class ExperimentsMixin:
    """The explorer's part: `x` stops any training there and opens the experiments screen;
    the hidden-unit maps' labels mark saturated (≈) and dead (✕) units."""

    def unit_labels(self, units) -> dict[tuple[str, int], str]:
        """The hidden-unit maps' labels at the parameters on show, saturated and dead units
        marked (nnviz.health's rule); the note saying what the marks mean is kept for the
        units' title."""
        self._marks_note = ""
        if not units:  # no hidden layer: no maps to mark
            return {}
        flags = unit_flags(self.ctl, self.snap.params)
        self._marks_note = marks_note(flags, self.ascii_mode)
        mode = self.ascii_mode
        return {(name, unit): unit_label(name, unit, flags, mode) for name, unit in units}

    def marks_note(self) -> str:
        return getattr(self, "_marks_note", "")

    async def action_experiments(self) -> None:
        if self._no_training():
            return
        await self._own_engine()
        ctl = self.ctl
        self.app.push_screen(
            ExperimentsScreen(
                ctl.scenario, data_dir=ctl.data_dir, which=ctl.which, ascii_mode=self.ascii_mode
            )
        )


class ExperimentsScreen(BaseView):
    BINDINGS = keys.bindings(keys.EXPERIMENTS)
    DEFAULT_CSS = """
    ExperimentsScreen #exp-status { height: 1; background: $panel; }
    ExperimentsScreen #exp-tabs { height: 1; }
    ExperimentsScreen #exp-progress { height: 1; }
    ExperimentsScreen #exp-body { height: 1fr; scrollbar-size-vertical: 1; padding: 0 1; }
    ExperimentsScreen #exp-text { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    ExperimentsScreen #exp-maps {
        height: auto; grid-size: 4; grid-gutter: 0 1; grid-rows: auto;
    }
    ExperimentsScreen .exp-map-box { height: auto; }
    ExperimentsScreen .exp-map-label { height: 1; }
    ExperimentsScreen .exp-map { height: 6; width: 1fr; }
    ExperimentsScreen.tall .exp-map { height: 10; }
    """

    def __init__(self, scenario, *, data_dir=None, which: int = 0, ascii_mode: bool = False,
                 first: str = "race"):  # fmt: skip
        super().__init__(classes="experiments-view")
        if first not in KINDS:
            raise ValueError(f"unknown experiment {first!r}")
        self.scenario = scenario
        self.data_dir = data_dir
        self.which = which
        self.ascii_mode = ascii_mode
        self.kind = first
        self.results = {kind: Results() for kind in KINDS}
        self._worker: Worker | None = None
        self._generation = 0  # of the latest worker
        self._worker_kind = ""
        self._gate = StartGate()
        self._plane = None  # (dataset, x range, y range) of the race's maps

    # ------------------------------------------------------------ layout
    def compose_main(self) -> ComposeResult:
        yield Static("", id="exp-status", classes="fits")
        yield Static("", id="exp-tabs", classes="fits")
        yield ProgressBar(total=1, show_eta=False, id="exp-progress", classes="fits")
        with Scroller(id="exp-body", classes="fits"):
            yield TextPanel(id="exp-text")
            yield Static("", id="maps-title", classes="title")
            yield Grid(id="exp-maps")
        yield Footer(classes="fits")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_kind()

    def fit(self, width: int, height: int) -> None:
        super().fit(width, height)
        self.set_class(height >= 30, "tall")
        if self.is_mounted and self.results[self.kind].state != "waiting":
            self._draw()  # the charts' heights follow the terminal's

    @property
    def running(self) -> bool:
        return self._worker is not None

    def chart_height(self) -> int:
        """Rows of plot: at 24 lines the race's chart, legend and maps fit in one screen."""
        height = self.app.size.height
        return 5 if height < 30 else min(14, height - 22)

    # ------------------------------------------------------------ drawing
    def _show_kind(self) -> None:
        res = self.results[self.kind]
        if res.state == "waiting":
            self._start(self.kind)
            return
        self._draw()

    def _draw(self) -> None:
        kind, res = self.kind, self.results[self.kind]
        self.query_one("#exp-status", Static).update(self.status_text())
        self.query_one("#exp-tabs", Static).update(self.tabs_text())
        bar = self.query_one("#exp-progress", ProgressBar)
        bar.update(total=max(res.total, 1), progress=min(len(res.items), max(res.total, 1)))
        ascii_mode, height = self.ascii_mode, self.chart_height()
        items, total = list(res.items), res.total
        if kind == "race":

            def source(w: int) -> Text:
                return race_text(items, total, w, height, ascii_mode)
        elif kind == "sweep":
            param = "lr"

            def source(w: int) -> Text:
                return sweep_text(param, items, total, w, height, ascii_mode)
        else:
            epochs = self.scenario.training.epochs
            diverged = res.message if res.state == "done" else None
            height = max(height, 10)  # a line per layer over decades: the view scrolls anyway

            def source(w: int) -> Text:
                return health_text(items, w, height, ascii_mode, epochs=epochs, diverged=diverged)

        self.query_one("#exp-text", TextPanel).show(source)
        maps = kind == "race"
        self.query_one("#maps-title", Static).display = maps
        self.query_one("#exp-maps", Grid).display = maps

    def status_text(self) -> Text:
        res = self.results[self.kind]
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f" {self.scenario.name}", style="bold")
        out.append(f" · {TITLES[self.kind]} │ ")
        unit = "samples" if self.kind == "health" else "runs"
        done = f"{len(res.items)}/{res.total} {unit}" if res.total else ""
        if res.state == "running":
            out.append(f"running: {done}", style="bold green")
            out.append(" · esc stops")
        elif res.state == "done":
            out.append(f"done: {done}", style="bold")
            out.append(" · r runs it again · esc back")
        elif res.state == "cancelled":
            out.append(f"stopped after {done}" if done else "stopped", style="yellow")
            out.append(" · r runs it again · esc back")
        elif res.state == "failed":
            out.append(res.message, style="bold red")
        return out

    def tabs_text(self) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        for kind in KINDS:
            style = "bold reverse" if kind == self.kind else "dim"
            out.append(f" {kind} ", style=style)
            out.append(" ")
        out.append("  x: next experiment", style="dim")
        return out

    # ------------------------------------------------------------ the worker
    def _start(self, kind: str) -> None:
        self._generation += 1
        self.results[kind] = Results(state="running", generation=self._generation)
        if kind == "race":
            self._clear_maps()
        self._worker_kind = kind
        self._worker = self._run(kind, self._generation)
        self._draw()

    def cancel(self) -> None:
        """Stop the worker without waiting (the screen or the app is going away)."""
        if self._worker is None:
            return
        self._worker.cancel()
        if self._gate.drop(self._generation):  # it never began: nothing will come from it
            self._worker = None
            res = self.results[self._worker_kind]
            if res.generation == self._generation and res.state == "running":
                res.state = "cancelled"
            if self.is_mounted:
                self._draw()

    @work(thread=True, exclusive=True, group="experiment")
    def _run(self, kind: str, generation: int) -> None:
        if not self._gate.begin(generation):
            return  # cancelled before it began (cancel() has said so)
        worker = get_current_worker()

        def stop() -> bool:
            return worker.is_cancelled

        def post(**fields) -> None:
            self.post_message(ExperimentUpdate(kind, generation, **fields))

        try:
            if kind == "health":
                self._health(post, stop)
            else:
                self._runs(kind, post, stop)
        except Exception as exc:  # noqa: BLE001 (an input error says what; a bug is logged)
            post(done=True, error=failure_message(exc, kind))
            return
        post(done=True, cancelled=stop())

    def _runs(self, kind: str, post, stop) -> None:
        from nnviz import experiments
        from nnviz.session import load_datasets

        sc = self.scenario
        if kind == "race":
            settings = experiments.race_settings(sc, experiments.DEFAULT_OPTIMIZERS)
        else:
            param, text, points = experiments.DEFAULT_SWEEP
            values = experiments.sweep_values(param, text, points)
            settings = experiments.sweep_settings(param, values)
        datasets = load_datasets(sc, self.data_dir)
        data = [datasets[min(self.which, len(datasets) - 1)]]
        post(total=len(settings), item=("data", data[0][1]))
        for run in experiments.run_settings(sc, settings, datasets=data, threads=1,
                                            should_stop=stop):  # fmt: skip
            model = experiments.trained_model(sc, run, datasets=data) if kind == "race" else None
            post(item=(copy.deepcopy(run), model))  # the model is the screen's from here on
            if stop():
                return

    def _health(self, post, stop) -> None:
        from nnviz.health import HealthSample, track
        from nnviz.session import build

        session = build(self.scenario, data_dir=self.data_dir, which=self.which,
                        chunk_seconds=0.2, threads=1)  # fmt: skip
        epochs = session.trainer.epochs if session.trainer is not None else 0
        post(total=len(_health_epochs(epochs)) + 1)
        for item in track(session, HEALTH_SAMPLES):
            if isinstance(item, Diverged):
                post(item=item)
                return
            assert isinstance(item, HealthSample)
            post(item=copy.deepcopy(item))
            if stop():
                return

    def on_experiment_update(self, message: ExperimentUpdate) -> None:
        res = self.results[message.kind]
        if message.generation != res.generation:
            return  # from a worker whose results were since started afresh
        if message.total:
            res.total = message.total
        item = message.item
        if isinstance(item, tuple) and item[0] == "data":
            self._plane = self._plane_of(item[1])
        elif isinstance(item, tuple):
            run, model = item
            res.items.append(run)
            if model is not None:
                self._add_map(len(res.items) - 1, run, model)
        elif isinstance(item, Diverged):
            res.message = item.message
        elif item is not None:
            res.items.append(item)
        if message.done:
            if message.generation == self._generation:
                self._worker = None
            if message.error:
                res.state, res.message = "failed", message.error
            else:
                res.state = "cancelled" if message.cancelled else "done"
        if message.kind == self.kind:
            self._draw()

    # ------------------------------------------------------------ the race's maps
    def _plane_of(self, ds):
        view = self.scenario.view
        dims = ds.n_inputs
        if dims == 2:
            xr, yr = regions.view_ranges(ds.x_train, view.x_range, view.y_range)
        elif dims == 1:
            xr = view.x_range or regions.view_ranges(ds.x_train)[0]
            yr = view.y_range or regions.curve_range([ds.y_train[:, 0]])
        else:
            xr = yr = None
        title = self.query_one("#maps-title", Static)
        if dims == 2:
            title.update("Decision regions after training, one per run (same scale)")
        elif dims == 1:
            title.update("Fitted curves after training, one per run (same scale)")
        else:
            title.update(f"Decision regions need 1 or 2 inputs (this network has {dims})")
        return ds, xr, yr

    def _clear_maps(self) -> None:
        self.query_one("#exp-maps", Grid).remove_children()

    def _add_map(self, n: int, run, model) -> None:
        if self._plane is None or self._plane[1] is None:
            return
        ds, xr, yr = self._plane
        canvas = Canvas(id=f"race-map-{n}", classes="exp-map", ascii_mode=self.ascii_mode)
        if ds.n_inputs == 2:

            def painter(cols, rows, ascii_mode):
                # in characters a small map has room for the regions or for the points:
                # more points than a quarter of its cells would hide the regions
                crowded = ascii_mode and len(ds.x_train) > cols * rows // 4
                points = None if crowded else ds.x_train
                paint = paint_regions(model, model.task, xr, yr, points, ds.labels_train,
                                      model.threshold)  # fmt: skip
                return paint(cols, rows, ascii_mode)

            canvas.painter = painter
        else:
            canvas.painter = paint_curve(lambda k: regions.curve(model, xr, k), xr, yr,
                                         ds.x_train, ds.y_train)  # fmt: skip
        from nnviz.tui.widgets.charts import series_char, series_style

        label = Text(no_wrap=True, overflow="ellipsis")
        char = series_char(n, True) if self.ascii_mode else "●"  # as the legend has it
        label.append(char + " ", style=series_style(n))
        label.append(run.label)
        box = Vertical(Static(label, classes="exp-map-label"), canvas, classes="exp-map-box")
        self.query_one("#exp-maps", Grid).mount(box)

    # ------------------------------------------------------------ actions
    def action_experiments(self) -> None:
        """The next experiment (one runs at a time: a running one is stopped)."""
        if self.running:
            self.cancel()
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self._show_kind()

    def action_reset(self) -> None:
        self.cancel()
        self._start(self.kind)

    def action_back(self) -> None:
        if self.running:
            self.cancel()
            return
        self.app.pop_screen()

    def action_ascii(self) -> None:
        self.ascii_mode = not self.ascii_mode
        for canvas in self.query(Canvas):
            canvas.paint(ascii_mode=self.ascii_mode)
        self._draw()

    def action_scroll_main(self, pages: int) -> None:
        box = self.query_one("#exp-body", Scroller)
        (box.scroll_page_down if pages > 0 else box.scroll_page_up)(animate=False)


def _health_epochs(epochs: int) -> list[int]:
    from nnviz.health import sample_epochs

    return sample_epochs(epochs, HEALTH_SAMPLES) if epochs > 0 else []

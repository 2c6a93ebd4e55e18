"""The generic explorer: the graph, the node inspector, and one side panel at a time (decision
regions, training curves, the truth table, hidden units, the model summary; an expression graph:
forward vs reverse mode), for any scenario.

Three panes take the focus in turn (Tab / Shift-Tab): the graph (up/down select a node), the
inspector and the side panel (the keys scroll them); `w` switches the side panel. What the
screen shows follows its reactive attributes (the snapshot, the selected node, the sample, the
batch/sample mode, follow, the side panel and the pictures' options): each watcher marks the
parts it changes and one redraw per turn of the event loop draws them.

Stepping by hand runs on the interface thread (a node at a time is quick); training at full or
slowed speed runs in a thread worker (screens/play.py) that posts Snapshots (copies), and the
interface draws only from those while a worker owns the engine.
"""

from __future__ import annotations

import re
import threading
import time

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Region
from textual.reactive import var
from textual.widgets import ContentSwitcher, Footer, Static
from textual.worker import Worker

from nnviz import regions
from nnviz.explorer import BACKWARD, DONE, FORWARD, START, Controller, Snapshot
from nnviz.tui import fmt, keys
from nnviz.tui.crashlog import failure_message
from nnviz.tui.draw.canvas import Canvas
from nnviz.tui.screens.base import BaseView
from nnviz.tui.screens.experiments import ExperimentsMixin
from nnviz.tui.screens.play import PlayMixin
from nnviz.tui.screens.playground import PlaygroundMixin
from nnviz.tui.screens.scrub import ScrubMixin
from nnviz.tui.widgets.inspector import inspector_text
from nnviz.tui.widgets.legend import legend_text, scale_text
from nnviz.tui.widgets.painters import (
    paint_curve,
    paint_regions,
    paint_unit_page,
)
from nnviz.tui.widgets.panels import (
    TextPanel,
    graph_text,
    modes_text,
    summary_text,
    training_head,
    training_text,
    truth_text,
)

PICTURES_EVERY = 0.05  # below a frame apart (nnviz.tui.pace.FRAME_S): every frame repaints
MAX_TABLE_ROWS = 16
PANES = ("graph-box", "inspector-box", "right")
REGIONS_BELOW = 8  # rows under the regions: the legend and where training is
UNITS_ABOVE = 3  # rows over the unit maps: what they show and their scales
SHORT_TITLES = {
    "regions": "regions",
    "curve": "curve",
    "curves": "curves",
    "table": "table",
    "units": "units",
    "summary": "summary",
    "modes": "modes",
}
TITLES = {
    "regions": "Decision regions",
    "curve": "Fitted curve",
    "curves": "Training curves",
    "table": "Truth table",
    "units": "Hidden units",
    "summary": "Model summary",
    "modes": "Derivatives both ways",
}
# where the update block starts in the inspector's text
UPDATE_LINE = re.compile(r"^(update \d+|perceptron rule)", re.MULTILINE)


class Pane(VerticalScroll, can_focus=True, inherit_bindings=False):
    """A scrolling pane that takes the focus but leaves the keys to the screen, which scrolls
    the focused pane (so that one key map serves every pane, and help lists it)."""


class ExplorerScreen(
    ScrubMixin, ExperimentsMixin, PlaygroundMixin, PlayMixin, BaseView, inherit_bindings=False
):
    BINDINGS = keys.bindings(keys.EXPLORER)
    HELP_TITLE = "nnviz explorer: keys"

    # the state that drives what is drawn (watchers below)
    snap: var[Snapshot | None] = var(None, init=False, always_update=True)
    selected = var(0, init=False)
    sample = var(0, init=False)
    whole = var(False, init=False)
    follow = var(True, init=False)
    playing = var("", init=False)  # "", "fast", "slow", "epoch"
    side = var("", init=False)  # the side panel shown (a key of TITLES)
    log_scale = var(False, init=False)
    discrete = var(False, init=False)
    show_points = var(True, init=False)
    unit_page = var(0, init=False)
    ascii_mode = var(False, init=False)

    def __init__(self, ctl: Controller, *, ascii_mode: bool = False):
        super().__init__(classes="graph-view" if ctl.is_graph else "network-view")
        self.ctl = ctl
        self.check_report = None
        self.shown: dict[str, np.ndarray] = {}
        self.verdict = ""
        self.note = ""
        self._painted: np.ndarray | None = None
        self._painted_at = 0.0
        self._worker: Worker | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._generation = 0
        self.frames = 0
        self.init_play()
        self._dirty: set[str] = set()
        self._ready = False
        self._update_in_view: tuple[int, int] | None = None  # (step, node) scrolled to
        self._inspector_top = False
        self._inspector_target: int | None = None  # a line to scroll to once laid out
        self._unit_pages = 1
        self._units_title: tuple | None = None
        self._before_summary = ""
        self.set_reactive(ExplorerScreen.ascii_mode, ascii_mode)
        self.set_reactive(ExplorerScreen.selected, _first_param(ctl))
        self.set_reactive(ExplorerScreen.snap, ctl.snapshot())
        self.set_reactive(ExplorerScreen.side, self.panels()[0])

    # ------------------------------------------------------------ layout
    @property
    def dims(self) -> int:
        ds = self.ctl.dataset
        return 0 if ds is None else ds.n_inputs

    def panels(self) -> list[str]:
        """The side panels this scenario has, in the order `w` goes through them."""
        if self.ctl.is_graph:
            return ["modes", "summary"]
        out = []
        if self.dims == 2:
            out.append("regions")
        elif self.dims == 1:
            out.append("curve")
        out.append("curves")
        if self._has_table():
            out.append("table")
        if self.unit_list():
            out.append("units")
        out.append("summary")
        return out

    def unit_list(self) -> list[tuple[str, int]]:
        """Every unit of every hidden layer (pictures need one or two inputs)."""
        if self.dims not in (1, 2):
            return []
        probe = self.ctl.probe
        return [
            (name, u)
            for name in regions.hidden_nodes(probe)
            for u in range(probe.graph.node(name).cols)
        ]

    def compose_main(self) -> ComposeResult:
        yield Static("", id="status", classes="fits")
        with Horizontal(id="main", classes="fits"):
            with Vertical(id="left"):
                with Pane(id="graph-box"):
                    yield TextPanel(id="graph")
                with Pane(id="inspector-box"):
                    yield TextPanel(id="inspector")
            with Vertical(id="side"):
                yield Static("", id="side-title")
                with Pane(id="right"), ContentSwitcher(initial=f"panel-{self.side}", id="panels"):
                    yield from self._compose_panels()
        footer = Footer(classes="fits")
        footer.compact = True  # a keyword argument only from textual 5.x on
        yield footer

    def _compose_panels(self) -> ComposeResult:
        for name in self.panels():
            with Vertical(id=f"panel-{name}", classes="panel"):
                if name in ("regions", "curve"):
                    yield Canvas(id="regions", ascii_mode=self.ascii_mode)
                    yield TextPanel(id="legend", classes="nowrap")
                    yield TextPanel(id="regions-training", classes="nowrap")
                elif name == "curves":
                    yield TextPanel(id="training", classes="nowrap")
                    if self.dims not in (1, 2):
                        yield Static(
                            f"Decision regions need 1 or 2 inputs (this network has {self.dims}).",
                            classes="note",
                        )
                elif name == "table":
                    yield TextPanel(id="table", classes="nowrap")
                elif name == "units":
                    yield TextPanel(id="units-title", classes="nowrap")
                    yield Canvas(id="units", ascii_mode=self.ascii_mode)
                elif name == "summary":
                    yield TextPanel(id="summary-text")
                elif name == "modes":
                    yield TextPanel(id="modes-text", classes="nowrap")

    def _has_table(self) -> bool:
        ds = self.ctl.dataset
        view = getattr(self.ctl.scenario, "view", None)
        return bool(
            ds is not None
            and getattr(view, "truth_table", False)
            and ds.n_train <= MAX_TABLE_ROWS
            and self.ctl.model.prediction is not None
        )

    def on_mount(self) -> None:
        super().on_mount()
        self._ready = True
        self.query_one("#graph-box", Pane).focus()
        inspector = self.query_one("#inspector-box", Pane)
        self.watch(inspector, "virtual_size", self._inspector_resized, init=False)
        self.query_one("#inspector", TextPanel).after_layout = self._inspector_resized
        self.query_one("#summary-text", TextPanel).show(lambda w: summary_text(self.ctl, w))
        self._invalidate("all")

    # ------------------------------------------------------------ reactive state
    def watch_snap(self, snap: Snapshot) -> None:
        if snap is None:
            return
        if self.follow and snap.cursor is not None:
            self._select(snap.cursor)
        elif self.follow and snap.update is not None and snap.phase == DONE:
            self._select(_first_param(self.ctl))  # the update: show the first parameter's
        if self.sample >= max(snap.batch, 1):
            self.set_reactive(ExplorerScreen.sample, 0)
        self._invalidate("snap")

    def _select(self, node: int) -> None:
        if node != self.selected:
            self._inspector_top = True
        self.set_reactive(ExplorerScreen.selected, node)

    def watch_selected(self) -> None:
        self._inspector_top = True
        self._invalidate("graph", "inspector")

    def watch_sample(self) -> None:
        self._invalidate("status", "graph", "inspector")

    def watch_whole(self) -> None:
        self._invalidate("inspector")

    def watch_follow(self, follow: bool) -> None:
        self.note = "the inspector follows the pass" if follow else "inspector: fixed node"
        self._invalidate("status")

    def watch_playing(self) -> None:
        self._invalidate("status", "graph", "inspector")

    def watch_side(self) -> None:
        self._invalidate("side")

    def watch_log_scale(self) -> None:
        self._invalidate("training")

    def watch_discrete(self) -> None:
        self._invalidate("pictures", "legend")

    def watch_show_points(self) -> None:
        self._invalidate("pictures", "legend")

    def watch_unit_page(self) -> None:
        self._invalidate("pictures")

    def watch_ascii_mode(self, ascii_mode: bool) -> None:
        for canvas in self.query(Canvas):
            canvas.paint(ascii_mode=ascii_mode)
        self._invalidate("training", "legend", "pictures")

    def _invalidate(self, *parts: str) -> None:
        """Mark parts of the screen to draw again; one redraw per turn draws them all."""
        if not self._ready:
            return
        first = not self._dirty
        self._dirty.update(parts)
        if first:
            self.call_later(self._flush)

    # ------------------------------------------------------------ drawing
    def show(self, snap: Snapshot) -> None:
        """Draw this snapshot (the training worker's frames come this way)."""
        self.snap = snap

    def _flush(self) -> None:
        parts, self._dirty = self._dirty, set()
        if not parts or not self.is_mounted:
            return
        every = "all" in parts
        snap = self.snap
        if every or "snap" in parts:
            self.frames += 1
            parts |= {"status", "graph", "inspector", "training", "table"}
            changed = self._painted is None or not np.array_equal(self._painted, snap.params)
            # while training at full speed the pictures follow at a few frames a second
            due = self.playing != "fast" or time.perf_counter() - self._painted_at >= PICTURES_EVERY
            if every or (changed and due):
                self._painted = snap.params.copy()
                self._painted_at = time.perf_counter()
                parts |= {"pictures", "params"}
        if every:
            parts |= {"side", "legend", "pictures", "params"}
        if "status" in parts:  # one line, docked: no layout pass (the costly part of a frame)
            self.query_one("#status", Static).update(self.status_text(), layout=False)
        if "graph" in parts:
            self._draw_graph()
        if "inspector" in parts:
            self._draw_inspector()
        if "params" in parts:
            self._draw_params()
        if "training" in parts and not self.ctl.is_graph:
            self._draw_training()
        if "side" in parts:
            self._draw_side()
        if "legend" in parts:
            self._draw_legend()
        if "pictures" in parts:
            self._paint_pictures()

    def _draw_graph(self) -> None:
        ctl, snap = self.ctl, self.snap
        selected, sample, playing = self.selected, self.sample, self.playing
        self.query_one("#graph", TextPanel).show(
            lambda w: graph_text(ctl, snap, selected, sample, w, playing)
        )
        focus = snap.cursor if snap.cursor is not None else selected
        if not self.follow:
            focus = selected
        self.call_after_refresh(self._keep_visible, focus)

    def _keep_visible(self, node: int) -> None:
        """Scroll the graph (when it does not fit) so that this node's line shows."""
        box = self.query_one("#graph-box", Pane)
        if box.max_scroll_y > 0:
            box.scroll_to_region(Region(0, node + 1, 1, 1), animate=False, immediate=True)

    def _draw_inspector(self) -> None:
        args = (
            self.ctl,
            self.snap,
            self.selected,
            self.sample,
            self.whole,
            self.check_report,
            self.playing,
        )

        def source(width: int) -> Text:
            text, self.shown = inspector_text(*args, width=width)
            return text

        panel = self.query_one("#inspector", TextPanel)
        panel.show(source)
        snap = self.snap
        box = self.query_one("#inspector-box", Pane)
        # after a step, the update block comes into view (once per step and node)
        key = (snap.update.step, self.selected) if snap.update is not None else None
        if snap.phase == DONE and key is not None and key != self._update_in_view:
            match = UPDATE_LINE.search(panel.plain)
            if match is not None:
                line = panel.plain.count("\n", 0, match.start())
                self._update_in_view = key
                self._inspector_top = False
                self.call_after_refresh(self._scroll_inspector_to, line)
                return
        if self._inspector_top:
            self._inspector_top = False
            self._inspector_target = None
            box.scroll_home(animate=False, immediate=True)

    def _scroll_inspector_to(self, line: int) -> None:
        """Keep the inspector at a line of its text: now, and again whenever its text is laid
        out anew (a new width wraps it differently) until another node or a key moves it."""
        self._inspector_target = line
        self._inspector_resized()

    def _inspector_resized(self) -> None:
        line = self._inspector_target
        if line is None:
            return
        panel = self.query_one("#inspector", TextPanel)
        if panel.size.width <= 0:
            return
        row = panel.row_of(line)  # counted in the text as fitted, not wrapped again here
        self.query_one("#inspector-box", Pane).scroll_to(y=row, animate=False, immediate=True)

    def _draw_training(self) -> None:
        ctl, snap = self.ctl, self.snap
        ascii_mode, verdict, log = self.ascii_mode, self.verdict, self.log_scale
        height = max(self.query_one("#right", Pane).size.height, 12)

        def training(w: int) -> Text:
            mark = snap.mark_epoch if snap.past else None  # the shown past step's epoch
            text = training_text(ctl, snap, w, ascii_mode, height=height, log=log, mark_epoch=mark)
            _append_messages(text, verdict, snap.message)
            return text

        if "curves" in self.panels():
            self.query_one("#training", TextPanel).show(training)
        if self.dims in (1, 2):

            def brief(w: int) -> Text:
                text = training_head(ctl, snap)
                _append_messages(text, verdict, snap.message)
                return text

            self.query_one("#regions-training", TextPanel).show(brief)

    def _draw_params(self) -> None:
        """Tables and reports that depend on the parameters only."""
        ctl, snap = self.ctl, self.snap
        if ctl.is_graph:
            report = ctl.modes()
            self.query_one("#modes-text", TextPanel).show(lambda w: modes_text(report, ctl))
            return
        self.verdict = ctl.verdict(snap.params, snap.epoch)
        if self._has_table():
            rows = ctl.truth_table(snap.params)
            batch_rows = set() if snap.rows is None else {int(r) for r in snap.rows}
            highlight = batch_rows if len(batch_rows) < len(rows) else set()
            self.query_one("#table", TextPanel).show(lambda w: truth_text(ctl, rows, highlight))

    def _fit_side(self) -> None:
        """The pictures take the side panel's height (a larger terminal: a finer grid)."""
        height = self.query_one("#right", Pane).size.height
        if height <= 0:
            return
        width = self.query_one("#right", Pane).size.width
        for name, room in (("regions", REGIONS_BELOW), ("units", UNITS_ABOVE)):
            for canvas in self.query(f"#{name}").results(Canvas):
                wanted = max(height - room, 6)
                if name == "regions":  # about square: a cell is two pixels tall
                    wanted = min(wanted, max(width // 2, 6))
                if canvas.styles.height is None or canvas.styles.height.value != wanted:
                    canvas.styles.height = wanted

    def _draw_side(self) -> None:
        self._fit_side()
        names = self.panels()
        side = self.side if self.side in names else names[0]
        self.query_one("#panels", ContentSwitcher).current = f"panel-{side}"
        k = names.index(side)
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(TITLES[side], style="bold")
        if len(names) > 1:
            title.append(f" {k + 1}/{len(names)}", style="dim")
            title.append(f" w→{SHORT_TITLES[names[(k + 1) % len(names)]]}", style="dim")
        self.query_one("#side-title", Static).update(title)
        self.query_one("#right", Pane).scroll_home(animate=False)
        self._invalidate("training", "pictures")

    def _draw_legend(self) -> None:
        if self.dims not in (1, 2) or self.ctl.is_graph:
            return
        ctl, ascii_mode = self.ctl, self.ascii_mode
        discrete, points = self.discrete, self.show_points
        self.query_one("#legend", TextPanel).show(
            lambda w: legend_text(ctl, w, ascii_mode, discrete=discrete, points=points)
        )

    def _paint_pictures(self) -> None:
        ctl = self.ctl
        ds = ctl.dataset
        if ds is None or self.dims not in (1, 2) or ctl.is_graph:
            return
        params = self._painted if self._painted is not None else self.snap.params
        view = ctl.scenario.view

        def load():
            return ctl.load_probe(params)

        show = self.show_points
        if self.dims == 2:
            xr, yr = regions.view_ranges(ds.x_train, view.x_range, view.y_range)
            task, threshold, discrete = ctl.task, ctl.model.threshold, self.discrete
            x_test = ds.x_test if show else None

            def paint_main(cols, rows, ascii_mode):
                painter = paint_regions(
                    load(),
                    task,
                    xr,
                    yr,
                    ds.x_train if show else None,
                    ds.labels_train,
                    threshold,
                    test_points=x_test,
                    test_labels=ds.labels_test,
                    discrete=discrete,
                )
                return painter(cols, rows, ascii_mode)

            self.query_one("#regions", Canvas).paint(paint_main, self.ascii_mode)
        else:
            xr = view.x_range or regions.view_ranges(ds.x_train)[0]
            xs, ys = regions.curve(load(), xr, 200)
            series = [ds.y_train[:, 0], ys[:, 0]]
            if ds.y_test is not None:
                series.append(ds.y_test[:, 0])
            yr = view.y_range or regions.curve_range(series)

            def curve_fn(n):
                return regions.curve(load(), xr, n)

            self.query_one("#regions", Canvas).paint(
                paint_curve(
                    curve_fn,
                    xr,
                    yr,
                    ds.x_train if show else None,
                    ds.y_train if show else None,
                    ds.x_test if show else None,
                    ds.y_test if show else None,
                ),
                self.ascii_mode,
            )
        self._paint_units(load)

    def _paint_units(self, load) -> None:
        units = self.unit_list()
        if not units:
            return
        ds, view = self.ctl.dataset, self.ctl.scenario.view
        if self.dims == 2:
            xr, yr = regions.view_ranges(ds.x_train, view.x_range, view.y_range)
        else:
            xr, yr = view.x_range or regions.view_ranges(ds.x_train)[0], None
        page, dims = self.unit_page, self.dims

        def heard(shown, at, pages, ranges):
            # the painter runs while the canvas draws: the title follows after that
            self._unit_pages = pages
            self.call_after_refresh(self._draw_units_title, shown, at, pages, ranges)

        labels = self.unit_labels(units)  # with the saturated and dead units marked

        def paint(cols, rows, ascii_mode):
            painter = paint_unit_page(load(), units, page, dims, xr, yr, heard, labels)
            return painter(cols, rows, ascii_mode)

        self.query_one("#units", Canvas).paint(paint, self.ascii_mode)

    def _draw_units_title(self, shown, page: int, pages: int, scales) -> None:
        key = (tuple(shown), page, pages, tuple(scales.items()), self.ascii_mode, self.marks_note())
        if key == self._units_title:
            return
        self._units_title = key
        first, last = shown[0], shown[-1]
        layers = regions.hidden_nodes(self.ctl.probe)
        text = Text(no_wrap=True, overflow="ellipsis")
        note = self.marks_note()
        if note:
            text.append(note + "\n", style="yellow")
        text.append(f"{len(self.unit_list())} hidden units, {len(layers)} layer", style="bold")
        text.append("s" if len(layers) > 1 else "", style="bold")
        what = "over the input plane" if self.dims == 2 else "along the input"
        text.append(f", {what}\n", style="dim")
        text.append(
            f"{fmt.sub(first[0])}[{first[1]}] … {fmt.sub(last[0])}[{last[1]}]"
            f" · page {page + 1}/{pages}",
        )
        text.append(" · u/U: pages\n" if pages > 1 else "\n", style="dim")
        ascii_mode, curves = self.ascii_mode, self.dims == 1
        self.query_one("#units-title", TextPanel).show(
            lambda w: text + scale_text(dict(scales), w, ascii_mode, curves)
        )

    def status_text(self) -> Text:
        ctl, snap = self.ctl, self.snap
        out = Text(no_wrap=True, overflow="ellipsis")
        sc = ctl.scenario
        out.append(f" {sc.name}", style="bold")
        if ctl.session.label and ctl.session.label != sc.name:
            out.append(f" [{ctl.session.label}]", style="bold")
        if not ctl.is_graph:
            lr = fmt.num(snap.lr) + (f" = {snap.lr_formula}" if snap.lr_formula else "")
            out.append(f" · {ctl.optimizer.kind} lr {lr} · seed {ctl.seed}")
            out.append(f" · step {snap.step} · epoch {snap.epoch}/{ctl.epochs_total()}")
        out.append(" │ ")
        out.append(_phase_text(ctl, snap), style="bold")
        if snap.batch > 1 and not ctl.is_graph:
            out.append(f" │ sample {self.sample + 1}/{snap.batch}")
        if not ctl.is_graph and (self.playing or not self.note):  # a note goes first
            text, style = self.play_status()
            out.append(f" │ {text}", style=style)
        if self.note:
            out.append(f" │ {self.note}", style="yellow")
        return out

    def _refresh(self, note: str = "") -> None:
        self.note = note
        self.snap = self.ctl.snapshot()

    def _no_training(self) -> bool:
        if self.ctl.trainer is None:
            self.notify("an expression graph has nothing to train: n and s step through it")
            return True
        return False

    # ------------------------------------------------------------ actions: stepping
    async def action_micro(self) -> None:
        if not await self._own_engine(branch="micro"):
            return
        self.ctl.micro()
        self._refresh()

    async def action_step(self) -> None:
        if not await self._own_engine(branch="step"):
            return
        self.ctl.step()
        self._refresh()

    async def _rebuild(self, *, seed: int | None = None, which: int | None = None, note=""):
        await self._own_engine()
        try:
            ctl = self.ctl.rebuilt(seed=seed, which=which)
        except Exception as exc:  # noqa: BLE001 (cannot be rebuilt: keep the old one)
            self.notify(failure_message(exc, "reset"), severity="error")
            return
        await self.install(ctl, note)

    def installed(self) -> None:
        """After a new Controller is installed (reset, a new seed, an edited setup)."""
        ctl = self.ctl
        self._update_in_view = None
        self.query_one("#summary-text", TextPanel).show(lambda w: summary_text(ctl, w))
        self._invalidate("all")

    async def action_reset(self) -> None:
        await self._rebuild(note=f"reset (seed {self.ctl.seed})")

    async def action_reset_new(self) -> None:
        seed = self.ctl.seed + 1
        await self._rebuild(seed=seed, note=f"reset with a new seed ({seed})")

    async def action_table(self) -> None:
        datasets = self.ctl.session.datasets
        if len(datasets) < 2:
            self.notify("this scenario has one data set")
            return
        which = (self.ctl.which + 1) % len(datasets)
        await self._rebuild(which=which, note=f"table {datasets[which][0]}")

    def action_lr_up(self) -> None:
        self._set_lr(self.ctl.lr_up())

    def action_lr_down(self) -> None:
        self._set_lr(self.ctl.lr_down())

    def _set_lr(self, lr: float) -> None:
        # the optimizer reads its rate at every step, also inside a running worker
        self.note = f"learning rate {fmt.num(lr)}"
        if self.playing:
            self._invalidate("status")
        else:
            self._refresh(self.note)

    async def action_check(self) -> None:
        await self._own_engine()
        ctl = self.ctl
        names = ctl.wrt_names()
        if not names:
            self.notify("nothing to check: no parameters")
            return
        name = ctl.node_name(self.selected)
        if name not in names:
            name = names[0]
            self.selected = ctl.graph.find(name)
        self.follow = False
        self.check_report = ctl.check(name)
        worst = self.check_report.max_rel_error
        self._refresh(f"gradient check of {fmt.sub(name)}: max rel. error {fmt.num(worst, 2)}")

    # ------------------------------------------------------------ actions: what is shown
    def action_sample(self, delta: int) -> None:
        batch = max(self.snap.batch, 1)
        self.sample = (self.sample + delta) % batch

    def action_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self.snap = self.snap  # back to where the pass is

    def action_whole(self) -> None:
        self.whole = not self.whole

    def action_ascii(self) -> None:
        self.ascii_mode = not self.ascii_mode
        self.note = "ASCII" if self.ascii_mode else "colour"
        self._invalidate("status")

    def action_side_panel(self, delta: int) -> None:
        names = self.panels()
        k = names.index(self.side) if self.side in names else 0
        self.side = names[(k + delta) % len(names)]

    def action_summary(self) -> None:
        if self.side == "summary":
            self.side = self._before_summary or self.panels()[0]
        else:
            self._before_summary = self.side
            self.side = "summary"

    def action_log_scale(self) -> None:
        if self.ctl.trainer is None:
            return
        self.log_scale = not self.log_scale
        if self.side not in ("curves",) and "curves" in self.panels():
            self.side = "curves"

    def action_discrete(self) -> None:
        if self.dims != 2:
            self.notify("d: the decision regions of a network with two inputs")
            return
        self.discrete = not self.discrete
        self.side = "regions"

    def action_points(self) -> None:
        if self.dims not in (1, 2):
            return
        self.show_points = not self.show_points
        self.side = self.panels()[0]

    def action_unit(self, delta: int) -> None:
        units = self.unit_list()
        if not units:
            self.notify("no hidden units to draw (pictures need one or two inputs)")
            return
        if self.side != "units":
            self.side = "units"
            return
        self.unit_page = (self.unit_page + delta) % max(self._unit_pages, 1)

    # ------------------------------------------------------------ actions: panes and keys
    def _focused_pane(self) -> Pane:
        focused = self.focused
        while focused is not None and not isinstance(focused, Pane):
            focused = focused.parent
        if isinstance(focused, Pane):
            return focused
        return self.query_one("#graph-box", Pane)

    def action_focus_pane(self, delta: int) -> None:
        k = PANES.index(self._focused_pane().id)
        self.query_one(f"#{PANES[(k + delta) % len(PANES)]}", Pane).focus()

    def action_select(self, delta: int) -> None:
        pane = self._focused_pane()
        self._inspector_target = None  # the keys scroll it now
        if pane.id != "graph-box":
            pane.scroll_relative(y=delta, animate=False)
            return
        self.follow = False
        self.selected = (self.selected + delta) % self.ctl.n

    def action_scroll_main(self, pages: int) -> None:
        pane = self._focused_pane()
        self._inspector_target = None
        if pane.id == "graph-box":  # a page of nodes
            step = max(pane.size.height - 2, 1)
            self.follow = False
            self.selected = min(max(self.selected + pages * step, 0), self.ctl.n - 1)
            return
        (pane.scroll_page_down if pages > 0 else pane.scroll_page_up)(animate=False)

    def action_pane_end(self, end: int) -> None:
        pane = self._focused_pane()
        self._inspector_target = None
        if pane.id == "graph-box":
            self.follow = False
            self.selected = self.ctl.n - 1 if end > 0 else 0
            return
        (pane.scroll_end if end > 0 else pane.scroll_home)(animate=False)

    def action_scroll_side(self, pages: int) -> None:
        box = self.query_one("#right", Pane)
        (box.scroll_page_down if pages > 0 else box.scroll_page_up)(animate=False)

    def on_resize(self, event) -> None:
        super().on_resize(event)
        self.call_after_refresh(self._fit_side)
        self._invalidate("training", "pictures")


def _append_messages(text: Text, verdict: str, message: str) -> None:
    if verdict:
        text.append(verdict + "\n", style="bold red" if "not" in verdict else "green")
    if message:
        text.append(message + "\n", style="bold red")


def _first_param(ctl: Controller) -> int:
    names = ctl.wrt_names()
    return ctl.graph.find(names[0]) if names else 0


def _phase_text(ctl: Controller, snap: Snapshot) -> str:
    if snap.phase == START:
        return "computed: n steps through it" if ctl.is_graph else "ready: n micro-steps"
    if snap.phase == FORWARD:
        name = fmt.sub(ctl.node_name(snap.cursor)) if snap.cursor is not None else ""
        if snap.forward_upto >= ctl.n:
            return f"forward done ({name})"
        return f"forward: {name}"
    if snap.phase == BACKWARD:
        name = fmt.sub(ctl.node_name(snap.cursor)) if snap.cursor is not None else ""
        return f"backward: {name}" + (" (done)" if snap.backward_from == 0 else "")
    if snap.phase == DONE:
        if ctl.is_graph:
            return "forward and backward done"
        return "updated" if snap.update is not None else "trained"
    return snap.phase

"""The generic explorer: the graph, the node inspector, decision regions, training, and the
truth table or forward vs reverse mode, for any scenario.

Stepping by hand runs on the interface thread (a node at a time is quick); training at full or
slowed speed runs in a thread worker that posts TrainingUpdate messages carrying Snapshots
(copies), and the interface draws only from those while a worker owns the engine.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Region
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import Worker

from nnviz import regions
from nnviz.explorer import BACKWARD, DONE, FORWARD, START, Controller, Snapshot
from nnviz.tui import fmt, keys
from nnviz.tui.crashlog import failure_message
from nnviz.tui.draw.canvas import Canvas
from nnviz.tui.screens.base import BaseView
from nnviz.tui.screens.play import PlayMixin
from nnviz.tui.screens.scrub import ScrubMixin
from nnviz.tui.widgets.inspector import inspector_text
from nnviz.tui.widgets.painters import (
    paint_curve,
    paint_levels,
    paint_regions,
    paint_unit_curve,
)
from nnviz.tui.widgets.panels import (
    TextPanel,
    graph_text,
    modes_text,
    training_text,
    truth_text,
)

PICTURES_EVERY = 0.3  # seconds between redrawn pictures while training at full speed
MAX_UNIT_MAPS = 8
MAX_TABLE_ROWS = 16


class Scroller(VerticalScroll, can_focus=False):
    """Scrolls with the mouse wheel but never takes the keys (they belong to the screen)."""


class ExplorerScreen(ScrubMixin, PlayMixin, BaseView):
    BINDINGS = keys.bindings(keys.EXPLORER)
    HELP_TITLE = "nnviz explorer: keys"

    def __init__(self, ctl: Controller, *, ascii_mode: bool = False):
        super().__init__(classes="graph-view" if ctl.is_graph else "network-view")
        self.ctl = ctl
        self.ascii_mode = ascii_mode
        self.selected = _first_param(ctl)
        self.sample = 0
        self.whole = False
        self.follow = True
        self.playing = ""  # "", "fast", "slow", "epoch"
        self.check_report = None
        self.shown: dict[str, np.ndarray] = {}
        self.verdict = ""
        self.note = ""
        self.snap: Snapshot = ctl.snapshot()
        self._painted: np.ndarray | None = None
        self._painted_at = 0.0
        self._worker: Worker | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._generation = 0
        self.frames = 0

    # ------------------------------------------------------------ layout
    @property
    def dims(self) -> int:
        ds = self.ctl.dataset
        return 0 if ds is None else ds.n_inputs

    def unit_list(self) -> list[tuple[str, int]]:
        probe = self.ctl.probe
        out = []
        for name in regions.hidden_nodes(probe):
            cols = probe.graph.node(name).cols
            out += [(name, u) for u in range(cols)]
        return out[:MAX_UNIT_MAPS]

    def compose_main(self) -> ComposeResult:
        ctl = self.ctl
        yield Static("", id="status", classes="fits")
        with Horizontal(id="main", classes="fits"):
            with Vertical(id="left"):
                with Scroller(id="graph-box"):
                    yield TextPanel(id="graph")
                with Scroller(id="inspector-box"):
                    yield TextPanel(id="inspector")
            with Scroller(id="right"):
                if ctl.is_graph:
                    yield Static("Derivatives both ways", classes="title")
                    yield TextPanel(id="modes")
                else:
                    yield from self._compose_regions()
                    yield Static("Training", classes="title")
                    yield ProgressBar(
                        total=max(ctl.epochs_total(), 1), show_eta=False, id="progress"
                    )
                    yield TextPanel(id="training")
                    if self._has_table():
                        yield Static("Truth table", classes="title")
                        yield TextPanel(id="table")
                    yield from self._compose_units()
        yield Footer(classes="fits")

    def _compose_regions(self) -> ComposeResult:
        if self.dims == 2:
            yield Static("Decision regions", classes="title", id="regions-title")
            yield Canvas(id="regions", ascii_mode=self.ascii_mode)
        elif self.dims == 1:
            yield Static("Fitted curve", classes="title", id="regions-title")
            yield Canvas(id="regions", ascii_mode=self.ascii_mode)
        else:
            yield Static(
                f"Decision regions need 1 or 2 inputs (this network has {self.dims}).",
                classes="note",
            )

    def _compose_units(self) -> ComposeResult:
        units = self.unit_list() if self.dims in (1, 2) else []
        if not units:
            return
        total = sum(self.ctl.probe.graph.node(n).cols for n in regions.hidden_nodes(self.ctl.probe))
        title = "Hidden units, each its own region" if self.dims == 2 else "Hidden units"
        if total > len(units):
            title += f" (first {len(units)} of {total})"
        yield Static(title, classes="title")
        with Horizontal(id="units"):
            for n, (name, unit) in enumerate(units):
                with Vertical(classes="unit"):
                    yield Static(f"{fmt.sub(name)}[{unit}]", classes="unit-label")
                    yield Canvas(id=f"unit-{n}", classes="unit-map", ascii_mode=self.ascii_mode)

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
        self.show(self.snap)

    # ------------------------------------------------------------ drawing
    def show(self, snap: Snapshot) -> None:
        self.snap = snap
        self.frames += 1
        ctl = self.ctl
        if self.follow and snap.cursor is not None:
            self.selected = snap.cursor
        elif self.follow and snap.update is not None and snap.phase == DONE:
            self.selected = _first_param(ctl)  # the update: show the first parameter's
        if self.sample >= max(snap.batch, 1):
            self.sample = 0
        changed = self._painted is None or not np.array_equal(self._painted, snap.params)
        # while training at full speed the pictures follow at a few frames a second: they
        # cost most of a frame, and the keys stay quick
        due = self.playing != "fast" or time.perf_counter() - self._painted_at >= PICTURES_EVERY
        if changed and due:
            self._painted = snap.params.copy()
            self._painted_at = time.perf_counter()
            self._repaint(snap)
        self.query_one("#status", Static).update(self.status_text())
        selected, sample, playing = self.selected, self.sample, self.playing
        self.query_one("#graph", TextPanel).show(
            lambda w: graph_text(ctl, snap, selected, sample, w, playing)
        )
        focus = snap.cursor if snap.cursor is not None else selected
        self.call_after_refresh(self._keep_visible, focus)
        self.show_inspector()
        if not ctl.is_graph:
            bar = self.query_one("#progress", ProgressBar)
            bar.update(total=max(ctl.epochs_total(), 1), progress=min(snap.epoch, bar.total))
            ascii_mode = self.ascii_mode
            verdict = self.verdict

            def training(w: int) -> Text:
                text = training_text(ctl, snap, w, ascii_mode)
                if verdict:
                    text.append(verdict + "\n", style="bold red" if "not" in verdict else "green")
                if snap.message:
                    text.append(snap.message + "\n", style="bold red")
                return text

            self.query_one("#training", TextPanel).show(training)

    def _keep_visible(self, node: int) -> None:
        """Scroll the graph (when it does not fit) so that this node's line shows."""
        box = self.query_one("#graph-box", Scroller)
        if box.max_scroll_y > 0:
            box.scroll_to_region(Region(0, node + 1, 1, 1), animate=False, immediate=True)

    def show_inspector(self) -> None:
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

        self.query_one("#inspector", TextPanel).show(source)

    def _repaint(self, snap: Snapshot) -> None:
        """Pictures and tables that depend on the parameters only."""
        ctl = self.ctl
        params = snap.params
        if ctl.is_graph:
            report = ctl.modes()
            self.query_one("#modes", TextPanel).show(lambda w: modes_text(report, ctl))
            return
        self.verdict = ctl.verdict(params, snap.epoch)
        self._paint_pictures(params)
        if self._has_table():
            rows = ctl.truth_table(params)
            batch_rows = set() if snap.rows is None else {int(r) for r in snap.rows}
            highlight = batch_rows if len(batch_rows) < len(rows) else set()
            self.query_one("#table", TextPanel).show(lambda w: truth_text(ctl, rows, highlight))

    def _paint_pictures(self, params: np.ndarray) -> None:
        ctl = self.ctl
        ds = ctl.dataset
        if ds is None or self.dims not in (1, 2):
            return
        view = ctl.scenario.view

        def load():
            return ctl.load_probe(params)

        units = self.unit_list()
        if self.dims == 2:
            xr, yr = regions.view_ranges(ds.x_train, view.x_range, view.y_range)
            labels = ds.labels_train

            def paint_main(cols, rows, ascii_mode):
                painter = paint_regions(
                    load(), ctl.task, xr, yr, ds.x_train, labels, ctl.model.threshold
                )
                return painter(cols, rows, ascii_mode)

            self.query_one("#regions", Canvas).paint(paint_main, self.ascii_mode)
            for n, (name, unit) in enumerate(units):
                act = regions.activation_of(ctl.probe, name)

                def grid(cols, rows, name=name, unit=unit):
                    return regions.output_grid(load(), xr, yr, cols, rows, node=name)[..., unit]

                self.query_one(f"#unit-{n}", Canvas).paint(paint_levels(grid, act), self.ascii_mode)
        else:
            xr = view.x_range or regions.view_ranges(ds.x_train)[0]
            xs, ys = regions.curve(load(), xr, 200)
            yr = view.y_range or regions.curve_range([ds.y_train[:, 0], ys[:, 0]])

            def curve_fn(n):
                return regions.curve(load(), xr, n)

            self.query_one("#regions", Canvas).paint(
                paint_curve(curve_fn, xr, yr, ds.x_train, ds.y_train), self.ascii_mode
            )
            for n, (name, unit) in enumerate(units):
                act = regions.activation_of(ctl.probe, name)

                def unit_fn(k, name=name, unit=unit):
                    xs, vals = regions.curve(load(), xr, k, node=name)
                    return xs, vals[:, unit]

                self.query_one(f"#unit-{n}", Canvas).paint(
                    paint_unit_curve(unit_fn, xr, act), self.ascii_mode
                )

    def status_text(self) -> Text:
        ctl, snap = self.ctl, self.snap
        out = Text(no_wrap=True, overflow="ellipsis")
        sc = ctl.scenario
        out.append(f" {sc.name}", style="bold")
        if ctl.session.label and ctl.session.label != sc.name:
            out.append(f" [{ctl.session.label}]", style="bold")
        if not ctl.is_graph:
            out.append(f" · {ctl.optimizer.kind} lr {fmt.num(snap.lr)} · seed {ctl.seed}")
            out.append(f" · step {snap.step} · epoch {snap.epoch}/{ctl.epochs_total()}")
        out.append(" │ ")
        out.append(_phase_text(ctl, snap), style="bold")
        if snap.batch > 1 and not ctl.is_graph:
            out.append(f" │ sample {self.sample + 1}/{snap.batch}")
        if self.playing:
            label = {"fast": "▶ training", "slow": "▷ slow", "epoch": "▶ epoch"}[self.playing]
            out.append(f" │ {label}", style="bold green")
        if self.note:
            out.append(f" │ {self.note}", style="yellow")
        return out

    def _refresh(self, note: str = "") -> None:
        self.note = note
        self.show(self.ctl.snapshot())

    def _no_training(self) -> bool:
        if self.ctl.trainer is None:
            self.notify("an expression graph has nothing to train: n and s step through it")
            return True
        return False

    # ------------------------------------------------------------ actions
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
        self.ctl = ctl
        self.check_report = None
        self.sample = 0
        self.verdict = ""
        self._painted = None
        self.selected = _first_param(ctl)
        self._refresh(note)

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
            self.query_one("#status", Static).update(self.status_text())
        else:
            self._refresh(self.note)

    def action_sample(self, delta: int) -> None:
        batch = max(self.snap.batch, 1)
        self.sample = (self.sample + delta) % batch
        self.show(self.snap)

    def action_select(self, delta: int) -> None:
        self.follow = False
        self.selected = (self.selected + delta) % self.ctl.n
        self.show(self.snap)

    def action_follow(self) -> None:
        self.follow = not self.follow
        self.note = "the inspector follows the pass" if self.follow else "inspector: fixed node"
        self.show(self.snap)

    def action_whole(self) -> None:
        self.whole = not self.whole
        self.show(self.snap)

    def action_ascii(self) -> None:
        self.ascii_mode = not self.ascii_mode
        for canvas in self.query(Canvas):
            canvas.paint(ascii_mode=self.ascii_mode)
        self.note = "ASCII" if self.ascii_mode else "colour"
        self.show(self.snap)

    def action_scroll_main(self, pages: int) -> None:
        box = self.query_one("#inspector-box", Scroller)
        (box.scroll_page_down if pages > 0 else box.scroll_page_up)(animate=False)

    def action_scroll_side(self, pages: int) -> None:
        box = self.query_one("#right", Scroller)
        (box.scroll_page_down if pages > 0 else box.scroll_page_up)(animate=False)

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

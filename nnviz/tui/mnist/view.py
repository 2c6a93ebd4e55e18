"""The MNIST view: one digit and what the network makes of it (the side panel) beside five tabs,
one module each: network.py, backprop.py, regions.py, training.py, mistakes.py.

MnistView(session) holds the state the panes draw from; the digit in view, the tab and the
ASCII mode are reactive, and their watchers redraw. Training runs in the one worker
(worker.py) over Trainer.run(); it posts copies (nnviz.tui.messages) and the panes draw only
those. While the worker runs nothing on the interface side touches the engine; `busy` says when
that is. Stepping by hand is nnviz.stepper.Stepper's, shown on the Backprop tab.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import Static, TabbedContent
from textual.worker import get_current_worker

from nnviz import convolution, pca
from nnviz.stepper import BACKWARD, FORWARD, IDLE, UPDATE, StepError, Stepper
from nnviz.tui import keys
from nnviz.tui import pace as pacing
from nnviz.tui.gate import StartGate
from nnviz.tui.messages import EpochUpdate, LiveUpdate, TrainingStarted, TrainingStopped
from nnviz.tui.mnist import live as lv
from nnviz.tui.mnist import worker as training_worker
from nnviz.tui.mnist.backprop import BackpropPane, batch_words
from nnviz.tui.mnist.filters import FiltersPane
from nnviz.tui.mnist.mistakes import MistakesPane
from nnviz.tui.mnist.network import NetworkPane
from nnviz.tui.mnist.regions import RegionsPane
from nnviz.tui.mnist.scrub import MnistScrubMixin
from nnviz.tui.mnist.side import SamplePanel
from nnviz.tui.mnist.training import TrainingPane
from nnviz.tui.mnist.widgets import FixedStatics

CSS_FILE = Path(__file__).with_name("mnist.tcss")
TABS = (
    "mnist-tab-network",
    "mnist-tab-backprop",
    "mnist-tab-regions",
    "mnist-tab-training",
    "mnist-tab-mistakes",
)
REDRAW_S = 0.15  # at full speed, live snapshots at most every 0.15 s (6–7 redraws a second)
EPOCH_EVAL_S = 0.25  # confusion matrix and regions at most once per epoch and 4× a second
PLANE_SAMPLES = 300  # test samples drawn on the PCA plane
NARROW = 110  # columns: below this the digit panel shows on the Network tab only


class MnistView(MnistScrubMixin, FixedStatics, Widget, can_focus=True):
    """Everything about an image data set's MLP, for a Session whose dataset has image_shape."""

    DEFAULT_CSS = CSS_FILE.read_text(encoding="utf-8")
    BINDINGS = keys.bindings(keys.MNIST)

    sample: var[int] = var(0, init=False)  # the test digit in view
    tab: var[str] = var(TABS[0], init=False)  # the tab shown
    ascii_mode: var[bool] = var(False, init=False)  # characters instead of half-blocks
    unit: var[int] = var(0, init=False)  # the hidden unit on the Network tab
    show_grad: var[bool] = var(False, init=False)  # the Backprop matrix: values or gradients

    def __init__(
        self,
        session,
        *,
        sample: int = 0,
        ascii_mode: bool = False,
        plane_samples: int = PLANE_SAMPLES,
        redraw_s: float = REDRAW_S,
        epoch_eval_s: float = EPOCH_EVAL_S,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(name=name, id=id, classes=classes)
        ds = session.dataset
        if ds is None or ds.image_shape is None or ds.x_test is None:
            raise ValueError("the MNIST view needs an image data set with a test split")
        self.session = session
        self.ds = ds
        # full names where there is room (the side panel's caption), up to 4 letters in bars
        # and tables; "digit" for MNIST, "image" for other image sets (Fashion-MNIST)
        self.full_names = ds.class_names or tuple(str(k) for k in range(ds.n_outputs))
        self.names = tuple(name[:4] for name in self.full_names)
        self.item = "digit" if ds.name == "mnist" else "image"
        self.labels_test = ds.labels_test
        self.set_reactive(MnistView.sample, int(sample) % ds.n_test)
        self.set_reactive(MnistView.ascii_mode, bool(ascii_mode))
        self.redraw_s = redraw_s
        self.epoch_eval_s = epoch_eval_s
        self.roles = lv.roles(session.model)
        program = session.model.program
        # a convolutional network's first tab shows its filters; its "units" are the filters
        self.conv_stages = convolution.stages(program)
        if self.conv_stages:
            self.n_hidden = sum(st.filters for st in self.conv_stages)
        else:
            self.n_hidden = session.model.value(self.roles.first_weights).shape[1]
        self.stepper = Stepper.of(session)
        self.stepped = False  # the buffers hold a step taken by hand (its values, gradients)
        self.node = program.find(self.roles.logits) if self.roles.logits else 0
        self.follow = True  # the node list follows the pass
        self.batch_row = 0
        self.history: list[dict] = []
        self.live: lv.Live | None = None
        self.epoch_data: lv.EpochData | None = None
        self.mistake_pos = -1
        self.rate = 0.0
        self.compile_s: float | None = None
        self.training = False  # a worker is running or about to run
        self.busy = threading.Event()  # set while a worker may touch the engine
        self.sample_request = self.sample  # the digit the worker's snapshots are of
        self.region_grid = (64, 28)
        self.regions_shown = False  # the worker classifies the plane only when it is seen
        self.region_epoch = 0
        self.region_epoch_steps: tuple | None = None
        self.stop_requested = False
        self._gate = StartGate()  # a run cancelled before its thread began (nnviz.tui.gate)
        self._run = 0
        self.pace = float(getattr(session.scenario.view, "pace", pacing.FULL))
        self.frame_meter = pacing.FrameMeter()
        self.step_meter = pacing.RateMeter()
        self.redraws = 0  # Live updates drawn (for measuring the redraw rate)
        self.last_stop = ""
        self.runs: list[tuple[str, int, float, int]] = []  # (reason, samples, seconds, redraws)
        # The PCA plane depends on the inputs only: fit once.
        self.plane = pca.fit_plane(ds.x_train, seed=0)
        coords = self.plane.project(ds.x_test)
        self.extent = pca.extent_of(coords)
        pick = np.linspace(0, ds.n_test - 1, min(plane_samples, ds.n_test)).astype(np.int64)
        self.plane_coords = coords[pick]
        self.plane_labels = self.labels_test[pick]

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="mnist-body"):
            yield SamplePanel(self, id="mnist-side")
            with TabbedContent(initial=TABS[0], id="mnist-tabs"):
                yield FiltersPane(self) if self.conv_stages else NetworkPane(self)
                yield BackpropPane(self)
                yield RegionsPane(self)
                yield TrainingPane(self)
                yield MistakesPane(self)
        yield Static(id="mnist-status")

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "narrow")
        self._fit_side()

    def _fit_side(self) -> None:
        """On a narrow terminal the tabs but the first need the whole width."""
        narrow = self.has_class("narrow")
        # (a convolutional network's Filters tab shows the digit itself)
        first = self.tab == "mnist-tab-network" and not self.conv_stages
        self.side.display = not narrow or first

    def on_mount(self) -> None:
        self.side = self.query_one(SamplePanel)
        self.network = self.query_one("#mnist-tab-network")  # NetworkPane or FiltersPane
        self.backprop = self.query_one(BackpropPane)
        self.regions = self.query_one(RegionsPane)
        self.training_pane = self.query_one(TrainingPane)
        self.mistakes_pane = self.query_one(MistakesPane)
        self.refresh_from_engine(epoch=True)
        self.focus()

    # ------------------------------------------------------------ reactive state
    def validate_sample(self, i: int) -> int:
        return int(i) % self.ds.n_test

    def watch_sample(self, i: int) -> None:
        self.sample_request = i
        if self.busy.is_set():
            self.side.draw(None)  # the worker's next snapshot brings its probabilities
        else:
            self.refresh_from_engine()

    def validate_unit(self, u: int) -> int:
        return int(u) % self.n_hidden

    def watch_unit(self) -> None:
        if self.live is not None:
            self.network.draw(self.live)

    def watch_tab(self, tab: str) -> None:
        tabs = self.query_one("#mnist-tabs", TabbedContent)
        if tabs.active != tab:
            tabs.active = tab
        self.regions_shown = tab == "mnist-tab-regions"
        self._fit_side()
        self.draw_live()
        self.draw_epoch()
        self.training_pane.draw_history()
        self.backprop.draw()
        self.call_after_refresh(self.regions.resized)

    def watch_ascii_mode(self, on: bool) -> None:
        self.regions.set_ascii(on)
        self.draw_live()
        self.draw_epoch()
        self.training_pane.draw_history()

    def watch_show_grad(self) -> None:
        self.backprop.draw()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.tab = event.pane.id

    # ------------------------------------------------------------ reading the engine (idle)
    def refresh_from_engine(self, epoch: bool = False) -> None:
        """Take fresh copies from the engine and redraw; only while no worker runs."""
        if self.busy.is_set():
            return
        self.live = lv.take_live(self.session, self.sample)
        # the whole test set on the Python path would take many seconds: after the compile
        pending = getattr(self.app, "kernels_pending", lambda: None)()
        if (epoch or self.epoch_data is None) and not pending:
            grid = self.region_grid if self.regions_shown else None
            self.take_epoch(lv.evaluate_epoch(self.session, self.plane, self.extent, grid))
        self.draw_live()
        self.backprop.draw()
        self.draw_status()

    # ------------------------------------------------------------ drawing
    def draw_live(self) -> None:
        """Redraw what depends on the parameters: the sample panel and the visible tab."""
        live = self.live
        if live is None:
            return
        self.side.draw(live if live.sample == self.sample else None)
        if self.tab == "mnist-tab-network":
            self.network.draw(live)
        elif self.tab == "mnist-tab-training":
            self.training_pane.draw_progress(live)

    def take_epoch(self, data: lv.EpochData) -> None:
        self.epoch_data = data
        if data.classes is not None:
            self.regions.take(data)
        self.draw_epoch()

    def draw_epoch(self) -> None:
        """Redraw what depends on the test predictions (on the visible tab)."""
        data = self.epoch_data
        if data is None:
            return
        if self.tab == "mnist-tab-regions":
            self.regions.draw_caption()
        elif self.tab == "mnist-tab-training":
            self.training_pane.draw_confusion(data)
        elif self.tab == "mnist-tab-mistakes":
            self.mistakes_pane.draw()

    def mistakes(self) -> np.ndarray:
        if self.epoch_data is None:
            return np.zeros(0, np.int64)
        return np.flatnonzero(self.epoch_data.preds != self.labels_test)

    def draw_status(self, extra: str = "") -> None:
        t = self.session.trainer
        state = "training…" if self.training else "paused"
        acc = ""
        if self.epoch_data is not None:
            acc = f" · test accuracy {self.epoch_data.accuracy:.2%}"
        msg = f" · {extra}" if extra else ""
        pace = pacing.label(self.pace)
        if self.training:
            steps = pacing.rate_text(self.step_meter.rate())
            frames = pacing.rate_text(self.frame_meter.rate())
            pace = f"▶ {pace}: {steps} steps/s, {frames} fps"
        else:
            pace = f"pace {pace}"
        # what changes first: a narrow terminal cuts the end of the line
        self.put(
            "#mnist-status",
            f"{state}{msg} · {pace} · epoch {t.epoch}/{t.epochs} · step {t.steps:,}{acc} · "
            f"{self.session.scenario.name} · {self.ds.source}",
        )

    # ------------------------------------------------------------ actions (keys.py)
    def action_tab(self, n: int) -> None:
        self.tab = TABS[n]

    def action_sample(self, step: int) -> None:
        self.sample = self.sample + step

    def set_sample(self, i: int) -> None:
        self.sample = i

    def action_unit(self, step: int) -> None:
        self.unit = self.unit + step

    def set_unit(self, u: int) -> None:
        self.unit = u

    def action_scroll_main(self, pages: int) -> None:
        pane = self.query_one(f"#{self.tab}")
        (pane.scroll_page_down if pages > 0 else pane.scroll_page_up)(animate=False)

    def action_scroll_side(self, pages: int) -> None:
        (self.side.scroll_page_down if pages > 0 else self.side.scroll_page_up)(animate=False)

    def action_ascii(self) -> None:
        self.ascii_mode = not self.ascii_mode

    def action_value_grad(self) -> None:
        self.show_grad = not self.show_grad

    def action_follow(self) -> None:
        self.follow = not self.follow
        self.notify("the node list follows the pass" if self.follow else "node list: fixed node")

    def action_select(self, step: int) -> None:
        self.follow = False
        self.node = (self.node + step) % len(self.session.model.program)
        self.tab = "mnist-tab-backprop"
        self.backprop.highlight(self.node)
        self.backprop.draw()

    def action_mistake(self, step: int) -> None:
        wrong = self.mistakes()
        if not len(wrong):
            self.notify(f"no misclassified test {self.item}s")
            return
        self.mistake_pos = (self.mistake_pos + step) % len(wrong)
        target = int(wrong[self.mistake_pos])
        if target == self.sample:
            self.refresh_from_engine()
        self.sample = target
        self.mistakes_pane.draw()

    def _refuse_while_training(self) -> bool:
        """Stepping by hand: refused while training; otherwise shown on the Backprop tab (a
        convolutional network's Filters tab stays: it shows the filter weight's gradient)."""
        if self.busy.is_set():
            self.notify("training is running: pause it first (p or space)", severity="warning")
            return True
        if self._refuse_in_past("step"):
            return True
        if not (self.conv_stages and self.tab == "mnist-tab-network"):
            self.tab = "mnist-tab-backprop"
        return False

    def conv_gradients_ready(self, conv: int) -> bool:
        """Whether the buffers hold ∂L/∂(conv node i) and its filters' gradient from a step
        taken by hand (training by the worker leaves none to show)."""
        if self.busy.is_set():
            return False
        st = self.stepper
        if st.phase == IDLE:
            return self.stepped
        return st.phase in (BACKWARD, UPDATE) and st.backward_done(conv)

    def action_micro(self) -> None:
        """The next micro-step: the next node forward (feeding a batch first), each node back
        (seeding first), then the update; leaves and rules that send nothing back go along
        with the next node, as in the explorer."""
        if self._refuse_while_training():
            return
        st = self.stepper
        before = st.phase
        where = batch_words(self.session.trainer)
        try:
            what, node = st.micro(skip_quiet=True)
        except StepError as exc:
            self.notify(str(exc), severity="warning")
            return
        program = self.session.model.program
        done = []
        if before == IDLE:
            done.append(f"fed batch {where} ({len(st.rows)} rows); gradients zeroed")
        if what == "forward":
            done.append(f"forward {program.graph.formula(node)}")
        elif what in ("backward", "done"):
            seeded = "seeded ∂L/∂L = 1; " if before == BACKWARD and node == st.n - 1 else ""
            done.append(f"{seeded}backward through {program.name(node)}")
        elif what == "update":
            done.append(f"updated the parameters ({self.session.optimizer.kind})")
        self._after_step("; ".join(done), updated=what == "update")

    def action_step(self) -> None:
        if self._refuse_while_training():
            return
        self.stepper.step()
        self._after_step("stepped a whole batch and updated the parameters", True)

    def _after_step(self, done: str, updated: bool = False) -> None:
        st = self.stepper
        self.stepped = True
        node = st.last_node if st.phase in (FORWARD, BACKWARD, UPDATE) else None
        if self.follow and node is not None and not updated:
            self.node = node  # the node just computed, or whose rule just ran
            self.backprop.highlight(node)
        if updated:
            self.refresh_from_engine(epoch=True)
        else:
            self.backprop.draw()
            if self.conv_stages:
                self.network.draw_gradient()
        self.draw_status(done)

    def _waits_for_kernels(self) -> bool:
        """Training needs the machine code: while it compiles, say so and refuse."""
        pending = getattr(self.app, "kernels_pending", lambda: None)()
        if pending:
            self.notify(f"training starts once the kernels are compiled ({pending}); "
                        f"stepping works meanwhile")  # fmt: skip
        return bool(pending)

    def action_epoch(self) -> None:
        if self.busy.is_set():
            self.notify("training is running")
            return
        if self._waits_for_kernels():
            return
        if self._refuse_in_past("epoch"):
            return
        t = self.session.trainer
        target = t.epoch + 1  # to the end of the epoch in progress
        if target > t.epochs:
            t.epochs = target  # one more epoch past the scenario's count
        self._start(target)

    def action_play(self) -> None:
        """Train at the pace shown, or pause."""
        if self.busy.is_set():
            self.stop_training()
            return
        self._play()

    def action_full_speed(self) -> None:
        """Train at full speed (live, if playing slower), or pause."""
        if self.busy.is_set() and self.pace == pacing.FULL:
            self.stop_training()
            return
        self._set_pace(pacing.FULL)
        if not self.busy.is_set():
            self._play()

    def action_faster(self) -> None:
        self._set_pace(pacing.faster(self.pace))

    def action_slower(self) -> None:
        self._set_pace(pacing.slower(self.pace))

    def _set_pace(self, pace: float) -> None:
        self.pace = pace  # the worker reads it before every frame
        self.step_meter.reset()
        self.draw_status(f"pace {pacing.label(pace)}")

    def _play(self) -> None:
        if self._waits_for_kernels():
            return
        if self._refuse_in_past("play"):
            return
        t = self.session.trainer
        if t.epoch >= t.epochs:
            more = self.session.scenario.training.epochs
            t.epochs = t.epoch + more
            self.notify(f"all epochs done: training {more} more")
        self._start(None)

    # ------------------------------------------------------------ the worker
    def stop_training(self) -> None:
        """Ask the worker to stop after its current chunk (at most ~0.05 s of training)."""
        self.stop_requested = True
        for worker in self._train_workers():
            worker.cancel()
        if self.training and self._gate.drop(self._run):  # it never began, and never will
            self.training = False
            self.busy.clear()
            if self.is_mounted:
                self.draw_status()

    def on_unmount(self) -> None:
        self.stop_training()

    def _start(self, target: int | None) -> None:
        if self.stepper.active:
            self.stepper.abandon()
            self.notify("dropped the step in progress (no parameter had changed)")
        self.training = True
        self.stepped = False
        self.stop_requested = False
        self.frame_meter.reset()
        self.step_meter.reset()
        self.busy.set()
        self.draw_status()
        self._run += 1
        self._train(target, self._run)

    def _train_workers(self) -> list:
        return [w for w in self.workers if w.node is self and w.group == "mnist-train"]

    @work(thread=True, exclusive=True, group="mnist-train", exit_on_error=False)
    def _train(self, target_epoch: int | None, run: int) -> None:
        if self._gate.begin(run):  # else stop_training() dropped it before it began
            training_worker.train(self, get_current_worker(), target_epoch)

    def on_training_started(self, message: TrainingStarted) -> None:
        if self.compile_s is None:
            self.compile_s = message.compile_s

    def _count_frame(self, live: lv.Live) -> None:
        self.frame_meter.tick()
        self.step_meter.add(live.steps)

    def on_live_update(self, message: LiveUpdate) -> None:
        self._count_frame(message.live)
        self.live = message.live
        self.rate = message.rate
        self.redraws += 1
        self.draw_live()
        self.draw_status()

    def on_epoch_update(self, message: EpochUpdate) -> None:
        self._count_frame(message.live)
        self.redraws += 1
        self.history.extend(message.rows)
        self.training_pane.draw_history()
        if message.data is not None:
            self.take_epoch(message.data)
        self.live = message.live
        self.rate = message.rate
        self.draw_live()
        self.draw_status()

    def on_training_stopped(self, message: TrainingStopped) -> None:
        self.training = False
        self.last_stop = message.reason
        self.runs.append((message.reason, message.samples, message.seconds, self.redraws))
        if message.rows:
            self.history.extend(message.rows)
            self.training_pane.draw_history()
        if message.reason in ("diverged", "error"):
            self.notify(message.text, severity="error", timeout=8)
        self.refresh_from_engine(epoch=True)
        self.draw_status(message.text or message.reason)

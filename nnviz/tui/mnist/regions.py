"""Tab 3, Regions: the class the network predicts across the PCA plane of the training images,
with test digits on top at their projection."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Static, TabPane

from nnviz.tui.mnist import live as lv
from nnviz.tui.mnist.widgets import FixedStatics, RegionMap


class RegionsPane(FixedStatics, TabPane):
    def __init__(self, view):
        super().__init__("3 Regions", id="mnist-tab-regions")
        self.view = view

    def compose(self) -> ComposeResult:
        yield Static(id="mnist-regions-caption")
        yield RegionMap(id="mnist-regions")

    def on_mount(self) -> None:
        view = self.view
        regions = self.query_one("#mnist-regions", RegionMap)
        regions.set_points(view.plane_coords, view.plane_labels)
        regions.set_ascii(view.ascii_mode)

    def set_ascii(self, on: bool) -> None:
        self.query_one("#mnist-regions", RegionMap).set_ascii(on)

    def take(self, data) -> None:
        """An evaluation with a class grid: show it."""
        view = self.view
        view.region_epoch = data.epoch
        view.region_epoch_steps = (data.steps, (data.classes.shape[1], data.classes.shape[0]))
        self.query_one("#mnist-regions", RegionMap).set_grid(data.classes, data.extent)

    @on(RegionMap.Resized)
    def _resized_event(self) -> None:
        self.call_after_refresh(self.resized)

    def resized(self) -> None:
        size = self.query_one("#mnist-regions", RegionMap).size
        if size.width >= 4 and size.height >= 4:
            self.view.region_grid = (size.width, size.height)
        self.update()

    def update(self) -> None:
        """Classify the plane now if it is shown, out of date and the engine is free."""
        view = self.view
        if not view.regions_shown or view.busy.is_set():
            return
        if getattr(self.app, "kernels_pending", lambda: None)():
            return  # a grid of predictions on the Python path takes seconds: after the compile
        regions = self.query_one("#mnist-regions", RegionMap)
        current = view.session.trainer.steps
        if regions.grid is not None and view.region_epoch_steps == (current, view.region_grid):
            return
        classes = lv.classify_plane(view.session, view.plane, view.extent, view.region_grid)
        view.region_epoch_steps = (current, view.region_grid)
        view.region_epoch = view.session.trainer.epoch
        regions.set_grid(classes, view.extent)
        self.draw_caption()

    def draw_caption(self) -> None:
        view = self.view
        ev = view.plane.explained
        self.put(
            "#mnist-regions-caption",
            f"PCA plane of the training images: → PC1 ({ev[0]:.1%} of the variance), "
            f"↑ PC2 ({ev[1]:.1%}). A cell shows the class predicted for mean + a·PC1 + b·PC2 "
            f"(after epoch {view.region_epoch}); bold digits are test {view.item}s (true class) "
            f"at their projection.",
        )

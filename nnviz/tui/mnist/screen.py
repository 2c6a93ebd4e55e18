"""The MNIST view's screen (header, view, key footer), and which sessions it is for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from nnviz.tui.mnist.view import MnistView


def wants_mnist_view(session) -> bool:
    """Whether a Session is one the MNIST view is for (an image data set with a test split)."""
    ds = getattr(session, "dataset", None)
    return (
        ds is not None
        and getattr(ds, "image_shape", None) is not None
        and ds.x_test is not None
        and getattr(session, "trainer", None) is not None
    )


class MnistScreen(Screen):
    """The MNIST view with a header and the key footer."""

    HELP_TITLE = "nnviz MNIST view: keys"

    def __init__(self, session, **view_options):
        super().__init__()
        self.session = session
        self.view_options = view_options

    def compose(self) -> ComposeResult:
        yield Header()
        yield MnistView(self.session, id="mnist-view", **self.view_options)
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"nnviz · {self.session.scenario.name}"
        self.sub_title = self.session.scenario.description

    def kernels_ready(self) -> None:
        """The compiled kernels are in: evaluate the test set (it waited for them)."""
        view = self.query_one(MnistView)
        view.refresh_from_engine(epoch=True)
        view.regions.update()

    def cancel(self) -> None:
        """Stop training (the explorer calls this before quitting or switching scenario)."""
        self.query_one(MnistView).stop_training()

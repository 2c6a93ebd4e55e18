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
        self.sub_title = data_subtitle(self.session.scenario.description, self.session.dataset)

    def kernels_ready(self) -> None:
        """The compiled kernels are in: evaluate the test set (it waited for them)."""
        view = self.query_one(MnistView)
        view.refresh_from_engine(epoch=True)
        view.regions.update()

    def cancel(self) -> None:
        """Stop training (the explorer calls this before quitting or switching scenario)."""
        self.query_one(MnistView).stop_training()


def data_subtitle(description: str, dataset) -> str:
    """The scenario's description, saying which data set it runs on when the files found are
    not MNIST's digits (a data folder of Fashion-MNIST, say)."""
    if dataset is None or dataset.name == "mnist":
        return description
    title = "Fashion-MNIST images" if dataset.name == "fashion-mnist" else dataset.name
    if "MNIST digits" in description:
        return description.replace("MNIST digits", title, 1)
    return f"{title}: {description}"

"""A minimal App around the MNIST view: for tests, measurements and running it on its own.

The explorer's general app shows MnistScreen itself; this one exists so the view can be
driven without it (`python -m nnviz.tui.mnist mnist --data-dir DIR`).
"""

from __future__ import annotations

from textual.app import App

from nnviz.tui.mnist.view import MnistScreen


def wants_mnist_view(session) -> bool:
    """Whether a Session is one the MNIST view is for (an image data set with a test split)."""
    ds = getattr(session, "dataset", None)
    return (
        ds is not None
        and getattr(ds, "image_shape", None) is not None
        and ds.x_test is not None
        and getattr(session, "trainer", None) is not None
    )


class MnistApp(App):
    """Just the MNIST screen."""

    TITLE = "nnviz"

    def __init__(self, session, **view_options):
        super().__init__()
        self.session = session
        self.view_options = view_options

    def on_mount(self) -> None:
        self.push_screen(MnistScreen(self.session, **self.view_options))

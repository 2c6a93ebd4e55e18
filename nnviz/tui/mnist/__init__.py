"""The explorer's view for image data sets (MNIST, Fashion-MNIST): MnistView and MnistScreen.

Show it for a Session whose dataset has an image_shape:

    if session.dataset is not None and session.dataset.image_shape is not None:
        app.push_screen(MnistScreen(session))
"""

from __future__ import annotations

from nnviz.tui.mnist.app import MnistApp, wants_mnist_view
from nnviz.tui.mnist.view import MnistScreen, MnistView

__all__ = ["MnistApp", "MnistScreen", "MnistView", "wants_mnist_view"]

"""The explorer's view for image data sets (MNIST, Fashion-MNIST): MnistScreen and MnistView.

screen.py    MnistScreen, wants_mnist_view(session)
view.py      MnistView: the state, the keys (nnviz.tui.keys), the worker's messages
side.py      the digit in view and its probabilities
network.py, backprop.py, regions.py, training.py, mistakes.py    one module per tab
worker.py    the one training worker; live.py the copies it takes from the engine
widgets.py   the matrix browser, the region map, bars and tables
"""

from __future__ import annotations

from nnviz.tui.mnist.screen import MnistScreen, wants_mnist_view
from nnviz.tui.mnist.view import MnistView

__all__ = ["MnistScreen", "MnistView", "wants_mnist_view"]

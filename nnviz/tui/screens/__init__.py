"""Screens, one per view, and the choice of the view for a scenario.

A scenario whose data are images (MNIST: `image_shape` set on the data set) gets the screen of
`nnviz.tui.mnist` (`MnistScreen(session, ascii_mode=…)`, when `wants_mnist_view(session)`).
Every other scenario, and an image scenario the MNIST view does not take, opens the generic
explorer.
"""

from __future__ import annotations

from textual.screen import Screen

from nnviz.explorer import Controller
from nnviz.tui.screens.explorer import ExplorerScreen


def view_kind(ctl: Controller) -> str:
    ds = ctl.dataset
    if ds is not None and getattr(ds, "image_shape", None):
        return "image"
    if ctl.is_graph:
        return "graph"
    return "network"


def _image_screen(ctl: Controller, ascii_mode: bool) -> Screen | None:
    from nnviz.tui.mnist import MnistScreen, wants_mnist_view  # only image scenarios need it

    if not wants_mnist_view(ctl.session):
        return None
    return MnistScreen(ctl.session, ascii_mode=ascii_mode)


def pick_screen(ctl: Controller, *, ascii_mode: bool = False) -> Screen:
    if view_kind(ctl) == "image":
        screen = _image_screen(ctl, ascii_mode)
        if screen is not None:
            return screen
    return ExplorerScreen(ctl, ascii_mode=ascii_mode)

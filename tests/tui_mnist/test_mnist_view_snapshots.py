"""Snapshots of the MNIST view at a fixed size, seed and data slice (no timing on screen)."""

from __future__ import annotations

from mnist_view_support import small_session

from nnviz.tui.mnist import MnistApp

SIZE = (120, 40)


def test_network_tab(snap_compare):
    assert snap_compare(MnistApp(small_session()), press=["n", "u"], terminal_size=SIZE)


def test_backprop_tab_in_ascii_after_the_loss_rule(snap_compare):
    keys = ["a"] + ["f"] * 14 + ["b"]
    assert snap_compare(MnistApp(small_session()), press=keys, terminal_size=SIZE)


def test_regions_tab_in_ascii(snap_compare):
    assert snap_compare(MnistApp(small_session()), press=["a", "3", "_"], terminal_size=SIZE)

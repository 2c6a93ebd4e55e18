"""Snapshots of the MNIST view at a fixed size, seed and data slice (no timing on screen)."""

from __future__ import annotations

from mnist_view_support import MnistApp, small_session

SIZE = (120, 40)


def test_network_tab(snap_compare):
    assert snap_compare(
        MnistApp(small_session()), press=["right_square_bracket", "u"], terminal_size=SIZE
    )


def test_backprop_tab_in_ascii_after_the_loss_rule(snap_compare):
    keys = ["a"] + ["n"] * 8  # forward (7 nodes that compute), then L's rule
    assert snap_compare(MnistApp(small_session()), press=keys, terminal_size=SIZE)


def test_regions_tab_in_ascii(snap_compare):
    assert snap_compare(MnistApp(small_session()), press=["a", "3", "_"], terminal_size=SIZE)

"""Screenshots of the explorer at a fixed size and seed, compared with the accepted ones in
__snapshots__/ (update with `pytest tests/tui --snapshot-update` after checking the change)."""

from __future__ import annotations

from tui_helpers import wait_open

from nnviz.tui import make_app

SIZE = (100, 36)


async def opened(pilot) -> None:
    await wait_open(pilot)


def test_xor_after_one_step(snap_compare):
    assert snap_compare(
        make_app("xor", seed=0, animate=False), press=["s"], terminal_size=SIZE, run_before=opened
    )


def test_xor_ascii_mid_backward(snap_compare):
    # forward (7 nodes) and three nodes backward: the chain rule of z2 so far
    keys = ["n"] * 10
    assert snap_compare(
        make_app("xor", seed=0, ascii=True, animate=False),
        press=keys,
        terminal_size=SIZE,
        run_before=opened,
    )


def test_chain_forward_and_reverse_mode(snap_compare):
    assert snap_compare(
        make_app("chain", animate=False), press=["s"], terminal_size=SIZE, run_before=opened
    )


def test_too_small(snap_compare):
    assert snap_compare(make_app("xor", animate=False), terminal_size=(60, 20), run_before=opened)

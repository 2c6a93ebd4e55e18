"""A diverging run says one step number: the status line's (the snapshot's step) is the one in
the message, whether the explorer trained at full speed or by hand; the non-finite values are
on show, and gradients the stopped step never computed are not shown as numbers."""

from __future__ import annotations

import re

import numpy as np

from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.train import Diverged, EpochsDone, Finished, Progress


def _diverging() -> Controller:
    return Controller(build(load_scenario("sine").with_overrides(lr=1e30)))


def _step_in(message: str) -> int:
    return int(re.search(r"at step (\d+)", message).group(1))


def test_at_full_speed():
    ctl = _diverging()
    for event in ctl.trainer.run():
        if isinstance(event, EpochsDone | Progress | Diverged | Finished):
            ctl.after_training(event)
    snap = ctl.snapshot()
    assert ctl.diverged and snap.message == ctl.diverged
    assert snap.step == _step_in(snap.message) == ctl.trainer.steps + 1
    loss = ctl.view(snap.values, ctl.loss, snap.batch)
    assert not np.isfinite(loss).all()  # the failing pass is what the graph shows
    assert snap.backward_from == ctl.n  # its backward pass never ran: no gradient to show


def test_by_hand():
    ctl = _diverging()
    while ctl.diverged is None:
        ctl.step()
    snap = ctl.snapshot()
    assert snap.step == _step_in(snap.message) == ctl.trainer.steps
    assert "training stopped" not in snap.message  # stepping by hand goes on

"""Under a schedule the rate shown is the rate used: the explorer's snapshot (status line and
training panel), its update record (the inspector's update header) and `nnviz trace`."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build

# lr 0.2 halved every 2 epochs; 40 rows in batches of 16: 3 steps an epoch
SCHEDULED = str(Path(__file__).parent / "golden" / "l2-nesterov.toml")


def test_the_explorer_shows_the_scheduled_rate():
    ctl = Controller(build(load_scenario(SCHEDULED)))
    assert ctl.snapshot().lr == pytest.approx(0.2)
    for _ in range(6):  # epochs 1 and 2 (rate 0.2)
        ctl.step()
    assert ctl.update.lr == pytest.approx(0.2) and ctl.update.lr_formula == ""
    snap = ctl.snapshot()  # the next step is in epoch 3
    assert snap.lr == pytest.approx(0.2)  # the step on show used 0.2
    ctl.micro()  # the step of epoch 3 has begun
    snap = ctl.snapshot()
    assert snap.lr == pytest.approx(0.1) and snap.lr_formula == "0.2·0.5¹"
    ctl.step()
    assert ctl.update.lr == pytest.approx(0.1) and ctl.update.lr_formula == "0.2·0.5¹"
    assert ctl.snapshot().lr == pytest.approx(0.1)
    # the rate the engine used: the parameters moved by lr · (the Nesterov step)
    assert ctl.optimizer.lr_now() == pytest.approx(0.1)
    for _ in range(6):  # epochs 4 and 5: 0.2·0.5²
        ctl.step()
    assert ctl.update.lr == pytest.approx(0.05) and ctl.update.lr_formula == "0.2·0.5²"
    assert ctl.snapshot().lr_formula == "0.2·0.5²"

"""One answer to "when did the perceptron rule converge?": the explorer stepping by hand, an
epoch at a time or at full speed, `nnviz train` and the scenario's comment agree, and the
answer is the last epoch that changed the weights."""

from __future__ import annotations

import re

import numpy as np
import pytest

from nnviz.explorer import Controller
from nnviz.perceptron import convergence
from nnviz.scenario import load_scenario, scenario_dir
from nnviz.session import build
from nnviz.train import EpochsDone


def _last_change_by_hand(which: int) -> int:
    """Steps the rule row by row; the last epoch in which any row moved the weights."""
    ctl = Controller(build(load_scenario("perceptron-step"), which=which), which=which)
    last = 0
    while not ctl.training_over:
        before = ctl.program.values[: ctl.program.n_param].copy()
        epoch = ctl.trainer.epoch + 1
        ctl.step()
        if not np.array_equal(before, ctl.program.values[: ctl.program.n_param]):
            last = epoch
    return last


def test_convergence_is_the_epoch_before_the_first_clean_one():
    assert convergence(1, [0.75, 0.5, 0.75, 1.0, 1.0]).settled_after == 3
    assert convergence(1, [0.75, 0.5, 0.75, 1.0]).clean_epoch == 4
    assert convergence(11, [0.5, 1.0]).settled_after == 11
    assert convergence(1, [0.5, 0.75]) is None


@pytest.mark.parametrize("which, gate", [(0, "or"), (1, "and")])
def test_every_way_of_training_gives_the_same_epoch(which, gate):
    truth = _last_change_by_hand(which)
    # by hand, step by step
    ctl = Controller(build(load_scenario("perceptron-step"), which=which), which=which)
    assert ctl.dataset.name == gate
    while not ctl.training_over:
        ctl.step()
    params = ctl.program.values[: ctl.program.n_param].copy()
    by_hand = ctl.verdict(params, ctl.trainer.epoch)
    # at full speed (the worker hands the trainer's events to the controller), or an epoch
    # at a time (the e key)
    verdicts = [by_hand]
    for events in ("run", "epoch_events"):
        ctl = Controller(build(load_scenario("perceptron-step"), which=which), which=which)
        while not ctl.training_over:
            for event in getattr(ctl.trainer, events)():
                if isinstance(event, EpochsDone):
                    ctl.after_training(event)
        params = ctl.program.values[: ctl.program.n_param].copy()
        verdicts.append(ctl.verdict(params, ctl.trainer.epoch))
    expected = f"converged: the weights stop changing after epoch {truth} "
    assert all(v.startswith(expected) for v in verdicts), verdicts


def test_on_or_from_zeros_the_weights_stop_after_epoch_3_as_the_comment_says():
    assert _last_change_by_hand(0) == 3
    text = (scenario_dir() / "perceptron-step.toml").read_text()
    m = re.search(r"OR is learnt in (\d+) epochs and\s*#?\s*AND in (\d+)", text)
    assert m, "the scenario's comment states the epochs"
    assert (int(m.group(1)), int(m.group(2))) == (_last_change_by_hand(0), _last_change_by_hand(1))

"""nnviz.nonfinite: the first NaN or infinity of a run, its step, its node and its factors."""

import numpy as np
import pytest

from nnviz.engine.optim import Optimizer
from nnviz.explorer import Controller
from nnviz.history import Timeline
from nnviz.model import Model
from nnviz.nonfinite import first_nonfinite
from nnviz.scenario import load_scenario
from nnviz.session import Session, build
from nnviz.train import Trainer


def test_a_learning_rate_too_large_is_traced_to_the_weight_that_grew():
    sc = load_scenario("sine").with_overrides(optimizer="sgd", lr=3.0)
    ctl = Controller(build(sc, threads=1))
    for event in ctl.trainer.run():
        ctl.after_training(event)
    assert ctl.diverged is not None and ctl.trainer.steps == 27
    report = ctl.first_nonfinite()
    assert (report.step, report.phase, report.node, report.what) == (28, "forward", "L", "inf")
    root = ctl.graph.find(report.chain[-1])
    assert ctl.graph.nodes[root].is_param  # back to a parameter that was already huge
    assert any(f.huge and f.name == report.chain[-1] for f in report.factors)
    sizes = [size for _, size in report.growth]
    assert sizes == sorted(sizes) and sizes[-1] > 1e18  # it grew every step
    assert "learning rate" in report.verdict and "×" in report.verdict
    # the numbers are the engine's: the huge factor is the parameter's own largest entry
    state = Controller(build(sc, threads=1))
    state.timeline.restore(state.trainer, 0)
    for _ in range(27):
        state.trainer.step()
    top = float(np.max(np.abs(state.program.value(report.chain[-1]))))
    assert [f.size for f in report.factors if f.name == report.chain[-1]][0] == top


def test_a_run_without_nan_has_no_report():
    ctl = Controller(build(load_scenario("xor").with_overrides(epochs=20), threads=1))
    for event in ctl.trainer.run():
        ctl.after_training(event)
    assert ctl.first_nonfinite() is None


def _tiny(weights: dict, lr: float):
    """x = 1, y = 0, a 1-1-1 identity network in float32 with these weights, sgd."""

    def session():
        m = Model.from_spec(1, [(1, "identity"), (1, "identity")], "mse", weights=weights,
                            dtype="float32", capacity=4)  # fmt: skip
        opt = Optimizer(m.program, "sgd", lr=lr)
        t = Trainer(m, opt, np.ones((1, 1)), np.zeros((1, 1)), epochs=5, threads=1)
        return Session(None, m, opt, t, None, [], "")

    live = session()
    timeline = live.trainer.recorder = Timeline(live.trainer)
    for event in live.trainer.run():
        if type(event).__name__ == "Diverged":
            timeline.diverged_step = event.step
    return first_nonfinite(timeline, session())


def _w(w1, w2):
    return {"W1": np.array([[w1]]), "b1": np.zeros((1, 1)), "W2": np.array([[w2]]),
            "b2": np.zeros((1, 1))}  # fmt: skip


def test_an_update_that_overflows_names_the_step_lr_and_gradient():
    report = _tiny(_w(1.0, 1.0), 3e38)  # ∂L/∂W = 2: lr·g = 6e38 is beyond float32
    assert report.step == 1 and report.phase == "update" and report.what in ("inf", "-inf")
    roles = {f.role: f for f in report.factors}
    assert roles["learning rate"].size == pytest.approx(3e38)
    assert roles["update"].huge and roles["gradient"].size == pytest.approx(2.0)
    assert "smaller learning rate" in report.verdict


def test_a_gradient_that_overflows_names_upstream_and_local():
    # p = 0.1 × 1e20 = 1e19: L = 1e38 still fits float32, ∂L/∂p = 2e19, and the rule of
    # u1·W2 multiplies it by W2 = 1e20: ∂L/∂u1 overflows in the backward pass
    report = _tiny(_w(0.1, 1e20), 1e-3)
    assert report.step == 1 and report.phase == "backward" and report.node == "u1"
    roles = {f.role: f for f in report.factors}
    assert roles["upstream"].size == pytest.approx(2e19, rel=1e-3)
    assert roles["local"].size == pytest.approx(1e20, rel=1e-3)
    assert "upstream × local" in report.verdict

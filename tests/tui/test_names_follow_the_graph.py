"""Names on screen are the graph's: the truth table's value columns are named as their nodes,
a bce_logits network's logit is not called p, and Adam's update shows m̂ and v̂."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui.widgets.inspector import inspector_text
from nnviz.tui.widgets.panels import truth_text


def _controller(sc, which=0) -> Controller:
    return Controller(build(sc, which=which), which=which)


def _header(ctl: Controller) -> str:
    rows = ctl.truth_table(ctl.program.values[: ctl.program.n_param].copy())
    return truth_text(ctl, rows, set()).plain.splitlines()[0]


def _with_loss(name: str, loss: str, activation: str):
    sc = load_scenario(name)
    layers = list(sc.model.layers)
    layers[-1] = dataclasses.replace(layers[-1], activation=activation)
    model = dataclasses.replace(sc.model, loss=loss, layers=tuple(layers))
    return dataclasses.replace(sc, model=model)


def test_truth_table_columns_are_named_as_their_nodes():
    head = _header(_controller(load_scenario("xor")))
    assert "z₂" in head and " p " in head and " h " not in head
    head = _header(_controller(load_scenario("perceptron-step")))
    assert "z₁" in head and " a " in head and " p " not in head


def test_a_bce_logits_logit_is_not_called_p():
    ctl = _controller(_with_loss("xor", "bce_logits", "identity"))
    names = [n.name for n in ctl.graph.nodes]
    assert "p" not in names and ctl.node_name(ctl.model.prediction) == "logit"
    assert ctl.model.threshold == 0.0
    head = _header(ctl)
    assert "logit" in head and " p " not in head
    # with a sigmoid output p is σ(z), a probability: its boundary is 1/2, not 0
    ctl = _controller(_with_loss("xor", "bce_logits", "sigmoid"))
    assert ctl.node_name(ctl.model.prediction) == "p" and ctl.model.threshold == 0.5


def test_adam_update_shows_the_bias_corrected_moments():
    sc = load_scenario("xor").with_overrides(optimizer="adam")
    ctl = _controller(sc)
    ctl.step()
    ctl.step()
    snap = ctl.snapshot()
    text, _ = inspector_text(ctl, snap, ctl.graph.find("b2"), 0, False, None, "", width=100)
    plain = text.plain
    assert "  m̂ " in plain and "  v̂ " in plain
    (pu,) = [p for p in snap.update.params if p.name == "b2"]
    b1, b2 = 0.9, 0.999
    np.testing.assert_allclose(pu.state["m̂"], pu.state["m"] / (1 - b1**2), rtol=1e-6)
    np.testing.assert_allclose(pu.state["v̂"], pu.state["v"] / (1 - b2**2), rtol=1e-6)
    # the shown numbers give the update: new = old − lr·m̂/(√v̂ + ε)
    lr = snap.update.lr
    expected = pu.old - lr * pu.state["m̂"] / (np.sqrt(pu.state["v̂"]) + 1e-8)
    np.testing.assert_allclose(pu.new, expected, rtol=1e-5)


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_truth_table_header_and_rows_line_up(name):
    ctl = _controller(load_scenario(name))
    if not ctl.scenario.view.truth_table:
        pytest.skip("no truth table")
    rows = ctl.truth_table(ctl.program.values[: ctl.program.n_param].copy())
    lines = truth_text(ctl, rows, set()).plain.splitlines()
    assert len({line.index("│") for line in lines}) == 1

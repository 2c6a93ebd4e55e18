"""Engineered input features through a session: the graph reads them as node φ (named columns,
W1 a row per feature), the trainer feeds raw rows, and the region maps still lie over the raw
x1/x2 plane with the map applied to every grid point."""

from __future__ import annotations

import numpy as np
import pytest

import nnviz
from nnviz import regions
from nnviz.data.features import parse_features
from nnviz.scenario import ScenarioError, parse_scenario
from nnviz.scenario.fields import check_value
from nnviz.session import build

FEATURES = '["x1", "x2", "x1^2", "x2**2", "x1*x2", "sin(x1)", "sin(x2)"]'
TEXT = f"""\
name = "feat"
[data]
kind = "circles"
n = 60
features = {FEATURES}
[model]
layers = [{{ units = 3, activation = "tanh" }}, {{ units = 1, activation = "sigmoid" }}]
loss = "bce"
[training]
epochs = 5
"""
NAMES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")


def test_the_graph_reads_the_features_as_named_columns(tmp_path):
    sc = parse_scenario(TEXT, tmp_path / "feat.toml")
    assert sc.data.features == NAMES and sc.model.inputs == 7
    session = build(sc)
    model = session.model
    assert model.input_names == NAMES
    assert model.program.shape("x")[1] == 2 and model.params()["W1"].shape == (7, 3)
    phi = model.graph.nodes[model.graph.find("φ")]
    assert phi.columns == NAMES and phi.op_name == "features"
    assert session.trainer.X.shape[1] == 2  # raw rows in, the graph computes φ
    x = session.dataset.x_train[:5]
    model.backprop(x, session.dataset.y_train[:5])
    np.testing.assert_allclose(model.value("φ"), parse_features(list(NAMES), 2).apply(x),
                               rtol=1e-6)  # fmt: skip


def test_regions_lie_over_the_raw_plane(tmp_path):
    session = build(parse_scenario(TEXT, tmp_path / "feat.toml"))
    list(session.trainer.run())
    model = session.model
    grid = regions.output_grid(model, (-0.5, 1.5), (-0.5, 1.5), cols=6, rows=4)
    points = regions.plane((-0.5, 1.5), (-0.5, 1.5), 6, 4)
    # the same network by hand: the feature map of each point, then the two layers
    p = model.params()
    phi = parse_features(list(NAMES), 2).apply(points, np.float64)
    by_hand = 1 / (1 + np.exp(-(np.tanh(phi @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])))
    np.testing.assert_allclose(grid.reshape(-1), by_hand.reshape(-1), rtol=1e-4, atol=1e-6)


def test_the_notebook_api_takes_features():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    Y = np.array([[0], [1], [1], [0]], np.float32)
    model = nnviz.Model.from_spec(2, [(1, "sigmoid")], "bce", features=["x1", "x2", "x1*x2"],
                                  seed=0, capacity=4)  # fmt: skip
    nnviz.fit(model, X, Y, epochs=3000, optimizer="adam", lr=0.1)
    assert model.evaluate(X, Y)[1] == 1.0  # XOR by one unit, once x1·x2 is an input


def test_feature_errors_name_the_key(tmp_path):
    bad = TEXT.replace('"sin(x2)"', '"exp(x2)"')
    with pytest.raises(ScenarioError, match=r"^feat.toml: data.features\[6\]: 'exp\(x2\)' is "
                       "not a feature; allowed: "):  # fmt: skip
        parse_scenario(bad, tmp_path / "feat.toml")
    mnist = "[data]\nkind = 'mnist'\nfeatures = ['x1']\n[model]\nlayers = []\nloss = 'mse'\n"
    with pytest.raises(ScenarioError, match=r"data.features: features are for data of at most"):
        parse_scenario(mnist, tmp_path / "m.toml")
    assert check_value("data.features", ["x1**2", "x2"], data_kind="moons") == ("x1^2", "x2")
    with pytest.raises(ScenarioError, match=r"^data.features\[0\]: 'x9': x9 is not a data col"):
        check_value("data.features", ["x9"], data_kind="moons")

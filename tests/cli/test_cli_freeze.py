"""`trainable = false` on a layer, through the commands: train leaves it as it started, trace
says so at every update, check still checks its gradient, info marks it."""

from __future__ import annotations

import numpy as np

from nnviz.scenario import load_scenario
from nnviz.session import build

FROZEN = """\
name = "frozen"
[data]
kind = "gate"
[model]
layers = [
    { units = 3, activation = "tanh", trainable = false },
    { units = 1, activation = "sigmoid" },
]
loss = "bce"
init = "uniform"
[optimizer]
kind = "momentum"
lr = 0.5
[training]
epochs = 40
"""


def _scenario(tmp_path):
    path = tmp_path / "frozen.toml"
    path.write_text(FROZEN)
    return path


def test_train_leaves_the_frozen_layer_as_it_started(invoke, tmp_path):
    path = _scenario(tmp_path)
    start = build(load_scenario(path)).model.params()
    saved = tmp_path / "w.npz"
    ran = invoke("train", str(path), "--save", str(saved), "--json")
    assert ran.code == 0, ran.stderr
    with np.load(saved) as after:
        for name in ("W1", "b1"):
            assert after[name].tobytes() == start[name].reshape(after[name].shape).tobytes()
        assert not np.array_equal(after["W2"], start["W2"].reshape(after["W2"].shape))


def test_trace_marks_frozen_updates_and_their_numbers_stay(invoke, tmp_path):
    path = _scenario(tmp_path)
    ran = invoke("trace", str(path), "--steps", "1:3", "--json")
    assert ran.code == 0, ran.stderr
    steps = [line for line in ran.json_lines() if line["event"] == "step"]
    for step in steps[1:]:
        params = {p["name"]: p for p in step["params"]}
        assert params["W1"]["frozen"] and params["b1"]["frozen"]
        assert params["W1"]["before"] == params["W1"]["after"]
        assert "frozen" not in params["W2"] and params["W2"]["before"] != params["W2"]["after"]
    text = invoke("trace", str(path), "--steps", "1").stdout
    assert "update W1 (frozen: the optimizer leaves it as it is)" in text
    assert "update W2\n" in text


def test_check_and_info(invoke, tmp_path):
    path = _scenario(tmp_path)
    ran = invoke("check", str(path), "--json")
    assert ran.code == 0, ran.stderr
    checked = {line["param"] for line in ran.json_lines() if line["event"] == "gradient"}
    assert {"W1", "b1", "W2", "b2"} <= checked
    info = invoke("info", str(path), "--json").json_lines()[0]
    assert info["layers"][0]["trainable"] is False and "trainable" not in info["layers"][1]
    assert "dense_1 (tanh) frozen" in invoke("info", str(path)).stdout

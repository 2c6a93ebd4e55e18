"""`nnviz list` and `nnviz info`: the shipped scenarios and their model summaries."""

from __future__ import annotations

import json

import pytest

from nnviz.scenario import scenario_names


def test_list_shows_every_shipped_scenario(invoke):
    ran = invoke("list")
    assert ran.code == 0, ran.stderr
    assert ran.stderr == ""
    names = [line.split()[0] for line in ran.stdout.splitlines()]
    assert names == scenario_names()
    assert {"xor", "mnist", "mnist-relu", "chain", "perceptron", "perceptron-step"} <= set(names)
    xor = next(line for line in ran.stdout.splitlines() if line.startswith("xor "))
    assert "XOR" in xor  # the description follows the name


def test_list_json_is_one_object_per_line(invoke):
    ran = invoke("list", "--json")
    assert ran.code == 0, ran.stderr
    rows = ran.json_lines()
    assert [r["name"] for r in rows] == scenario_names()
    assert all(set(r) == {"event", "schema", "name", "description"} for r in rows)
    assert all(r["event"] == "scenario" and r["schema"] == 1 for r in rows)
    assert all(isinstance(r["description"], str) and r["description"] for r in rows)


@pytest.mark.parametrize(
    ("name", "layer_params", "total"),
    [
        ("xor", [12, 5], 17),  # 2-4-1: 4(2 + 1) + 1(4 + 1)
        ("mnist", [78_500, 1_010], 79_510),  # 784-100-10
        ("mnist-relu", [401_920, 5_130], 407_050),  # 784-512-10
        (
            "mnist-cnn",
            [208, 0, 3_216, 0, 0, 2_570],
            5_994,
        ),  # 8·(5·5 + 1), 16·(8·5·5 + 1), 256·10 + 10
    ],
)
def test_info_json_parameter_counts(invoke, name, layer_params, total):
    ran = invoke("info", name, "--json")
    assert ran.code == 0, ran.stderr
    (out,) = ran.json_lines()
    assert out["name"] == name
    assert [layer["params"] for layer in out["layers"]] == layer_params
    assert out["total_params"] == total
    assert {"inputs", "loss", "data", "optimizer", "training", "description", "path"} <= set(out)


@pytest.mark.parametrize(
    ("name", "total"), [("xor", "17"), ("mnist", "79,510"), ("mnist-relu", "407,050")]
)
def test_info_text_shows_the_total(invoke, name, total):
    ran = invoke("info", name)
    assert ran.code == 0, ran.stderr
    assert f"Total params: {total}" in ran.stdout
    assert "Layer (type)" in ran.stdout


def test_info_mnist_relu_layers(invoke):
    (out,) = invoke("info", "mnist-relu", "--json").json_lines()
    assert out["inputs"] == 784
    assert [(layer["layer"], layer["output_shape"]) for layer in out["layers"]] == [
        ("dense_1 (relu)", "(None, 512)"),
        ("dense_2 (softmax)", "(None, 10)"),
    ]
    assert out["optimizer"]["kind"] == "rmsprop"


def test_info_mnist_cnn_lists_image_shapes(invoke):
    (out,) = invoke("info", "mnist-cnn", "--json").json_lines()
    assert [(layer["layer"], layer["output_shape"]) for layer in out["layers"]] == [
        ("conv2d_1 (relu)", "(None, 8, 24, 24)"),
        ("max_pooling2d_2", "(None, 8, 12, 12)"),
        ("conv2d_3 (relu)", "(None, 16, 8, 8)"),
        ("max_pooling2d_4", "(None, 16, 4, 4)"),
        ("flatten", "(None, 256)"),
        ("dense_5 (softmax)", "(None, 10)"),
    ]
    text = invoke("info", "mnist-cnn").stdout
    assert "conv2d_3 (relu)" in text and "Total params: 5,994" in text


def test_info_chain_shows_the_graph(invoke):
    ran = invoke("info", "chain", "--json")
    assert ran.code == 0, ran.stderr
    (out,) = ran.json_lines()
    assert out["inputs"] == {"x": 1.0, "y": 2.0}
    assert out["output"] == "f"
    assert "s = add(x, y)" in out["graph"]
    assert "f = mul(s, p)" in out["graph"]
    assert "layers" not in out and "total_params" not in out

    text = invoke("info", "chain")
    assert text.code == 0, text.stderr
    assert "inputs: x = 1, y = 2" in text.stdout
    assert "s = add(x, y)" in text.stdout
    assert "output: f" in text.stdout


def test_info_of_a_scenario_file_by_path(invoke, tmp_path):
    from nnviz.scenario import scenario_dir

    path = tmp_path / "mine.toml"
    path.write_text((scenario_dir() / "xor.toml").read_text().replace('"xor"', '"mine"', 1))
    ran = invoke("info", str(path), "--json")
    assert ran.code == 0, ran.stderr
    out = json.loads(ran.stdout)
    assert out["name"] == "mine"
    assert out["total_params"] == 17


def test_info_shows_l2_weight_decay_and_schedule(invoke):
    from pathlib import Path

    path = str(Path(__file__).parents[1] / "core" / "golden" / "l2-nesterov.toml")
    text = " ".join(invoke("info", path).stdout.split())
    assert "schedule: step: the learning rate × 0.5 every 2 epochs" in text
    assert "L2 0.01" in text and "weight decay 0.001" in text
    data = json.loads(invoke("info", path, "--json").stdout)
    assert data["l2"] == 0.01 and data["optimizer"]["weight_decay"] == 0.001
    assert (data["training"]["schedule"], data["training"]["schedule_step"]) == ("step", 2)
    assert data["training"]["gamma"] == 0.5
    plain = " ".join(invoke("info", "xor").stdout.split())
    assert "constant learning rate" in plain and "no L2, no weight decay" in plain

"""Every bad scenario gives its exact one-line error: the fixtures in bad/ and inline cases."""

from pathlib import Path

import pytest

from nnviz.scenario import ScenarioError, load_scenario, parse_scenario

BAD = Path(__file__).parent / "bad"

EXPECTED = {
    "syntax.toml": "syntax.toml: line 3, column 8: Expected '=' after a key in a key/value pair",
    "unknown_key.toml": "unknown_key.toml: model.layer: unknown key; did you mean 'layers'?",
    "wrong_type.toml": (
        "wrong_type.toml: training.epochs: expected an integer, got the string '5000'"
    ),
    "unknown_activation.toml": (
        "unknown_activation.toml: model.layers[1].activation: 'sigmod' is not one of "
        "sigmoid, tanh, relu, identity, softmax, step, linear"
    ),
    "zero_units.toml": "zero_units.toml: model.layers[0].units: must be at least 1, got 0",
    "inputs_mismatch.toml": (
        "inputs_mismatch.toml: model.inputs: 3 does not match the data's 2 inputs"
    ),
    "missing_data_file.toml": (
        "missing_data_file.toml: data.path: no such file 'nosuch.csv' "
        "(relative to the scenario's folder)"
    ),
    "weight_shape.toml": (
        "weight_shape.toml: model.weights.W1: shape (2, 3) does not match the network's "
        "(2, 4) (fan_in, units)"
    ),
    "bce_softmax.toml": (
        "bce_softmax.toml: model.loss: bce needs a sigmoid output layer of 1 unit; "
        "the output layer is softmax with 2 units"
    ),
    "step_with_sgd.toml": (
        "step_with_sgd.toml: model.layers[0].activation: step has no gradient: "
        "it needs optimizer 'perceptron', not 'sgd'"
    ),
    "graph_undefined.toml": (
        "graph_undefined.toml: graph.nodes[0]: 's' is used before its node (graph.nodes[1]) "
        "defines it"
    ),
    "optimizer_param.toml": (
        "optimizer_param.toml: optimizer.beta: unknown key; did you mean 'beta1' or 'beta2'?"
    ),
}


def _error(load) -> str:
    with pytest.raises(ScenarioError) as info:
        load()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_every_fixture_has_an_expected_message():
    assert sorted(p.name for p in BAD.glob("*.toml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture(name):
    assert _error(lambda: load_scenario(str(BAD / name))) == EXPECTED[name]


HEAD = """
name = "t"
[data]
kind = "gate"
gate = "xor"
"""
XOR_MODEL = """
[model]
layers = [{ units = 4, activation = "sigmoid" }, { units = 1, activation = "sigmoid" }]
loss = "bce"
"""

INLINE = [
    # (TOML text, expected message after "t.toml: ")
    ("", "model: missing: a scenario needs a [model] table (or a [graph])"),
    (HEAD + XOR_MODEL + "[optimizer]\nlr = -0.1\n", "optimizer.lr: must be at least 0.0, got -0.1"),
    (HEAD + XOR_MODEL + "[training]\nepochs = 0\n", "training.epochs: must be at least 1, got 0"),
    (
        HEAD + XOR_MODEL + "[training]\nbatch_size = -1\n",
        "training.batch_size: must be at least 0, got -1",
    ),
    (
        HEAD + XOR_MODEL + "[training]\ndtype = 'float16'\n",
        "training.dtype: 'float16' is not one of float32, float64",
    ),
    (
        HEAD + XOR_MODEL + "[optimizer]\nkind = 'adamw'\n",
        "optimizer.kind: 'adamw' is not one of sgd, momentum, nesterov, rmsprop, adam, "
        "adagrad, perceptron",
    ),
    (
        HEAD + XOR_MODEL + "[optimizer]\nkind = 'sgd'\nmomentum = 0.9\n",
        "optimizer.momentum: unknown key; allowed: kind, lr, weight_decay",
    ),
    (HEAD + XOR_MODEL + "[modle]\n", "modle: unknown key; did you mean 'model'?"),
    (
        HEAD + XOR_MODEL + "[view]\nx_range = [1.0, 0.0]\n",
        "view.x_range: low must be below high, got [1.0, 0.0]",
    ),
    (
        HEAD + XOR_MODEL + "[graph]\ninputs = { x = 1.0 }\nnodes = ['f = x']\n",
        "graph: a scenario has a [model] or a [graph], not both",
    ),
    (
        "[model]\nlayers = []\nloss = 'mse'\n",
        "data: missing required table: a [model] is trained on [data]",
    ),
    (
        "[data]\nkind = 'circle'\n" + XOR_MODEL,
        "data.kind: 'circle' is not one of gate, circles, moons, spiral, gaussians, sine, csv, "
        "table, mnist",
    ),
    (
        "[data]\nkind = 'moons'\nnosie = 0.2\n" + XOR_MODEL,
        "data.nosie: unknown key; did you mean 'noise'?",
    ),
    (
        "[data]\nkind = 'circles'\nnoise = 0.2\n" + XOR_MODEL,
        "data.noise: unknown key; allowed: kind, n, seed, n_test, features",
    ),
    ("[data]\nkind = 'circles'\nn = 0\n" + XOR_MODEL, "data.n: must be at least 1, got 0"),
    (
        "[data]\nkind = 'gate'\ngate = ['or', 'xro']\n" + XOR_MODEL,
        "data.gate[1]: must be one of and, or, nand, nor, xor, got 'xro'",
    ),
    (
        HEAD
        + "[model]\nlayers = [{ units = 3, activation = 'sigmoid' }]\nloss = 'cross_entropy'\n",
        "model.loss: cross_entropy needs a softmax output layer of 2 or more units; "
        "the output layer is sigmoid with 3 units",
    ),
    (
        HEAD + "[model]\nlayers = [{ units = 1, activation = 'relu' }]\nloss = 'bce_logits'\n",
        "model.loss: bce_logits needs an identity (or sigmoid) output layer of 1 unit; "
        "the output layer is relu with 1 unit",
    ),
    (
        HEAD + "[model]\nlayers = [{ units = 1, activation = 'softmax' }]\nloss = 'mse'\n",
        "model.layers[0].units: a softmax layer needs at least 2 units, got 1",
    ),
    (
        HEAD + "[model]\nlayers = [{ units = 2, activation = 'softmax' }, { units = 1, "
        "activation = 'sigmoid' }]\nloss = 'bce'\n",
        "model.layers[0].activation: softmax is only for the output layer",
    ),
    (
        HEAD + XOR_MODEL + "[optimizer]\nkind = 'perceptron'\n",
        "optimizer.kind: perceptron trains a single layer of step units; this model has "
        "2 layer(s), the first sigmoid",
    ),
    (
        HEAD + XOR_MODEL + "[model.weights]\nb2 = [1.0, 2.0]\n",
        "model.weights.b2: shape (2,) does not match the network's (1,) (units,)",
    ),
    (
        HEAD + XOR_MODEL + "[model.weights]\nw1 = [[1.0]]\n",
        "model.weights.w1: unknown key; did you mean 'W1'?",
    ),
    (
        HEAD + XOR_MODEL + "[model.weights]\nW1 = [[1.0, 'a', 0, 0], [0, 0, 0, 0]]\n",
        "model.weights.W1[0][1]: expected a number, got the string 'a'",
    ),
    (
        HEAD + XOR_MODEL + "[model.weights]\nW1 = [1.0, 2.0]\n",
        "model.weights.W1: expected an array of rows (fan_in rows of units numbers)",
    ),
    (
        HEAD + XOR_MODEL + "[model.weights]\nW1 = [[1.0, 2.0], [1.0]]\n",
        "model.weights.W1: rows have different lengths",
    ),
    (
        HEAD + XOR_MODEL + "[training]\nshuffle = 1\n",
        "training.shuffle: expected true or false, got the integer 1",
    ),
    (
        HEAD + XOR_MODEL + "[training]\ngamma = 1.5\n",
        "training.gamma: must be at most 1.0, got 1.5",
    ),
    (
        HEAD + XOR_MODEL + "[training]\nschedule = 'cosine'\n",
        "training.schedule: 'cosine' is not one of constant, step, exponential",
    ),
    (
        HEAD + XOR_MODEL + "[training]\nepochs = 5.0\n",
        "training.epochs: expected an integer, got the number 5.0",
    ),
    (
        HEAD + XOR_MODEL + "description = 'x'\n",
        "model.description: unknown key; allowed: inputs, input_shape, layers, loss, init, "
        "init_scale, l2, l1, weights",
    ),
    ('name = "a"\nname = "b"\n', "line 2, column 11: Cannot overwrite a value"),
    (
        "[graph]\ninputs = { x = 1.0 }\nnodes = ['f = x']\n[data]\nkind = 'gate'\n",
        "data: not allowed with [graph]: a graph's inputs are in graph.inputs",
    ),
    (
        "[data]\nkind = 'table'\nx = [[0, 1], [1, 0]]\ny = [0, 1]\n"
        "[model]\ninputs = 1\nlayers = [{ units = 1, activation = 'sigmoid' }]\nloss = 'bce'\n",
        "model.inputs: 1 does not match the data's 2 inputs",
    ),
    ("[data]\nkind = 'csv'\n" + XOR_MODEL, "data.path: missing required key"),
    # bounds and choices that only nnviz.data knows, checked without loading
    (
        "[data]\nkind = 'circles'\nn = 2000000\n" + XOR_MODEL,
        "data.n: must be an integer >= 1 and <= 1,000,000, got 2000000",
    ),
    (
        "[data]\nkind = 'mnist'\nsource = 'web'\n" + XOR_MODEL,
        "data.source: must be one of auto, sample, full, got 'web'",
    ),
]


MNIST_MODEL = "[data]\nkind = 'mnist'\nsource = 'sample'\n[model]\nloss = 'cross_entropy'\n"
GATE_MODEL = "[data]\nkind = 'gate'\ngate = 'xor'\n[model]\nloss = 'bce'\n"
CONV4 = "{ conv = 4, kernel = 3, activation = 'relu' }"
DENSE10 = "{ units = 10, activation = 'softmax' }"
INLINE += [
    # conv and pooling layers: the layer, and the shapes that do not fit
    (
        MNIST_MODEL + f"layers = [{{ conv = 4, kernel = 30, activation = 'relu' }}, {DENSE10}]",
        "model.layers[0]: a 30×30 kernel (stride 1, padding valid) does not fit its 1×28×28 input",
    ),
    (
        MNIST_MODEL + "layers = [{ conv = 4, kernel = 5, stride = 5, activation = 'relu' }, "
        f"{{ pool = 'max', size = 6 }}, {DENSE10}]",
        "model.layers[1]: a 6×6 window (stride 6) does not fit its 4×5×5 input",
    ),
    (
        MNIST_MODEL + f"layers = [{{ units = 10, activation = 'relu' }}, {CONV4}, {DENSE10}]",
        "model.layers[1]: a conv layer cannot follow a dense layer",
    ),
    (
        GATE_MODEL + "layers = [{ conv = 2, kernel = 1, activation = 'relu' }, "
        "{ units = 1, activation = 'sigmoid' }]",
        "model.layers[0]: a conv layer needs images: give model.input_shape = "
        "[channels, height, width]",
    ),
    (
        GATE_MODEL + "input_shape = [1, 2, 2]\nlayers = [{ conv = 2, kernel = 1, "
        "activation = 'relu' }, { units = 1, activation = 'sigmoid' }]",
        "model.input_shape: 1×2×2 images do not hold 2 inputs",
    ),
    (
        MNIST_MODEL + f"layers = [{CONV4}, {{ pool = 'max', size = 2 }}]",
        "model.layers[1]: the output layer must be a dense layer { units, activation }",
    ),
    (
        MNIST_MODEL + "layers = [{ conv = 4, kernel = 3, padding = 'full', activation = 'relu' }, "
        f"{DENSE10}]",
        "model.layers[0].padding: 'full' is not one of valid, same",
    ),
    (
        MNIST_MODEL + f"layers = [{{ conv = 4, kernal = 3, activation = 'relu' }}, {DENSE10}]",
        "model.layers[0].kernal: unknown key; did you mean 'kernel'?",
    ),
    (
        MNIST_MODEL + f"layers = [{{ pool = 'min', size = 2 }}, {DENSE10}]",
        "model.layers[0].pool: 'min' is not one of max, avg",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INLINE)
def test_inline_error(text, expected):
    assert _error(lambda: parse_scenario(text, "t.toml")) == "t.toml: " + expected


def test_syntax_error_at_the_end_of_the_document():
    message = _error(lambda: parse_scenario('name = "a"\nlist = [1,', "end.toml"))
    assert message == "end.toml: line 2, column 11: Invalid value"


def test_missing_file_and_unknown_name():
    assert _error(lambda: load_scenario("nosuch.toml")) == "nosuch.toml: no such scenario file"
    assert (
        _error(lambda: load_scenario("xro"))
        == "unknown scenario 'xro'; did you mean 'xor'? (see nnviz list)"
    )
    assert _error(lambda: load_scenario("zzzzzz")) == "unknown scenario 'zzzzzz' (see nnviz list)"


def test_a_folder_is_not_a_scenario_file(tmp_path):
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    assert _error(lambda: load_scenario(str(folder))).endswith("dir.toml: not a file")


def test_scenario_error_is_a_value_error():
    assert issubclass(ScenarioError, ValueError)

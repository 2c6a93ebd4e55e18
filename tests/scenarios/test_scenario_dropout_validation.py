"""Scenario keys for dropout layers ({ dropout = rate } after a dense layer) and
training.validation, and their one-line errors."""

import pytest

from nnviz.scenario import ScenarioError, parse_scenario

BASE = """
name = "t"
[data]
kind = "moons"
n = 100
[model]
layers = {layers}
loss = "bce"
[training]
{training}
"""


def _parse(layers, training=""):
    return parse_scenario(BASE.format(layers=layers, training=training), "t.toml")


def test_dropout_folds_into_the_dense_layer_before_it():
    sc = _parse('[{units = 8, activation = "relu"}, {dropout = 0.25}, '
                '{units = 1, activation = "sigmoid"}]')  # fmt: skip
    assert [(lay.units, lay.activation, lay.dropout) for lay in sc.model.layers] == [
        (8, "relu", 0.25),
        (1, "sigmoid", 0.0),
    ]
    assert sc.model.param_count(2) == 2 * 8 + 8 + 8 + 1


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ('[{dropout = 0.2}, {units = 1, activation = "sigmoid"}]',
         "t.toml: model.layers[0].dropout: a dropout layer must follow a dense layer"),
        ('[{units = 4, activation = "relu"}, {dropout = 0.2}, {dropout = 0.1}, '
         '{units = 1, activation = "sigmoid"}]',
         "t.toml: model.layers[2].dropout: a dropout layer must follow a dense layer"),
        ('[{units = 1, activation = "sigmoid"}, {dropout = 0.2}]',
         "t.toml: model.layers[1].dropout: dropout is for hidden layers, not after the output "
         "layer"),
        ('[{units = 4, activation = "relu"}, {dropout = 1.0}, {units = 1, activation = "sigmoid"}]',
         "t.toml: model.layers[1].dropout: must be less than 1.0, got 1.0"),
        ('[{units = 4, activation = "relu"}, {dropout = 0.2, units = 3}, '
         '{units = 1, activation = "sigmoid"}]',
         "t.toml: model.layers[1].units: unknown key"),
        ('[{units = 4, activation = "softmax"}, {dropout = 0.2}, '
         '{units = 1, activation = "sigmoid"}]',
         "t.toml: model.layers[0].activation: softmax is only for the output layer"),
        ('[{units = 4, activation = "relu"}, {dropout = 0.2}, {units = 3, activation = "softmax"}]',
         "t.toml: model.loss: bce needs a sigmoid output layer of 1 unit; the output layer is "
         "softmax with 3 units"),
    ],
)  # fmt: skip
def test_bad_dropout_layers(layers, message):
    with pytest.raises(ScenarioError) as err:
        _parse(layers)
    assert str(err.value).startswith(message)


def test_validation_share():
    layers = '[{units = 4, activation = "tanh"}, {units = 1, activation = "sigmoid"}]'
    assert _parse(layers).training.validation == 0.0
    sc = _parse(layers, "validation = 0.2")
    assert sc.training.validation == 0.2
    assert sc.with_overrides(validation=0.3).training.validation == 0.3
    with pytest.raises(ScenarioError, match=r"t.toml: training.validation: must be less than 1.0"):
        _parse(layers, "validation = 1.0")
    with pytest.raises(ScenarioError, match=r"t.toml: training.validation: must be at least 0.0"):
        sc.with_overrides(validation=-0.1)

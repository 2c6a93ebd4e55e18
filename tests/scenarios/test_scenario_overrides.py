"""Scenario.with_overrides: replaced settings are checked like the file's own."""

import pytest

from nnviz.scenario import ScenarioError, load_scenario


def test_overrides_replace_only_what_is_given():
    sc = load_scenario("xor")
    same = sc.with_overrides()
    assert same == sc
    new = sc.with_overrides(epochs=10, lr=0.1, batch_size=2, seed=7, dtype="float64")
    assert (new.training.epochs, new.training.batch_size) == (10, 2)
    assert (new.training.seed, new.training.dtype) == (7, "float64")
    assert new.optimizer.kind == "sgd" and new.optimizer.lr == 0.1
    assert new.model == sc.model and new.data == sc.data and new.view == sc.view
    assert sc.training.epochs == 10000  # the original is untouched


def test_a_new_optimizer_starts_from_its_defaults():
    sc = load_scenario("xor")  # sgd, lr 0.5
    adam = sc.with_overrides(optimizer="adam")
    assert adam.optimizer.kind == "adam"
    assert dict(adam.optimizer.params) == {
        "lr": 0.001,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.0,
    }
    assert sc.with_overrides(optimizer="adam", lr=0.05).optimizer.lr == 0.05
    assert sc.with_overrides(optimizer="sgd").optimizer == sc.optimizer  # same kind: kept


def test_overrides_are_validated():
    sc = load_scenario("xor")
    cases = {
        "xor.toml: training.epochs: must be at least 1, got 0": {"epochs": 0},
        "xor.toml: optimizer.lr: must be at least 0.0, got -1.0": {"lr": -1.0},
        "xor.toml: training.batch_size: must be at least 0, got -5": {"batch_size": -5},
        "xor.toml: training.dtype: 'float16' is not one of float32, float64": {"dtype": "float16"},
        "xor.toml: optimizer.kind: 'adamw' is not one of sgd, momentum, nesterov, rmsprop, "
        "adam, adagrad, perceptron": {"optimizer": "adamw"},
        "xor.toml: optimizer.kind: perceptron trains a single layer of step units; this model "
        "has 2 layer(s), the first sigmoid": {"optimizer": "perceptron"},
        "xor.toml: training.epochs: expected an integer, got the string '5'": {"epochs": "5"},
    }
    for message, overrides in cases.items():
        with pytest.raises(ScenarioError) as info:
            sc.with_overrides(**overrides)
        assert str(info.value) == message


def test_step_units_keep_the_perceptron_rule():
    sc = load_scenario("perceptron-step")
    assert sc.with_overrides(lr=0.5).optimizer.lr == 0.5
    with pytest.raises(ScenarioError) as info:
        sc.with_overrides(optimizer="adam")
    assert str(info.value) == (
        "perceptron-step.toml: model.layers[0].activation: step has no gradient: it needs "
        "optimizer 'perceptron', not 'adam'"
    )


def test_graph_scenarios_take_overrides():
    sc = load_scenario("chain").with_overrides(epochs=3, optimizer="momentum")
    assert sc.training.epochs == 3 and sc.optimizer.get("momentum") == 0.9

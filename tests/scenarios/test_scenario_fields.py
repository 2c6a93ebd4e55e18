"""One checker for scenario keys and data params (nnviz.fields): a value checked alone gets
the message the same value gets in a file, and data params report their key as data."""

from __future__ import annotations

import pytest

from nnviz.data import DataError, load
from nnviz.errors import InputError
from nnviz.fields import Field, FieldError
from nnviz.scenario import ScenarioError, parse_scenario
from nnviz.scenario.fields import check_value

XOR = (
    "[data]\nkind = 'gate'\n[model]\nlayers = [{ units = 2, activation = 'sigmoid' }, "
    "{ units = 1, activation = 'sigmoid' }]\nloss = 'bce'\n"
)


@pytest.mark.parametrize(
    ("key", "value", "normalised"),
    [
        ("optimizer.lr", 1, 1.0),
        ("training.epochs", 300, 300),
        ("training.shuffle", False, False),
        ("training.dtype", "float64", "float64"),
        ("model.l2", 0, 0.0),
        ("model.layers[3].activation", "linear", "identity"),
        ("model.layers[0].units", 8, 8),
        ("data.noise", 0.2, 0.2),
    ],
)
def test_check_value_returns_the_value_normalised(key, value, normalised):
    out = check_value(key, value, data_kind="moons")
    assert out == normalised and type(out) is type(normalised)


# (key, value, the table it sits in as TOML, the message's tail the file gets)
SAME_AS_FILE = [
    ("training.epochs", 0, "[training]\nepochs = 0\n", "must be at least 1, got 0"),
    ("training.gamma", 1.5, "[training]\ngamma = 1.5\n", "must be at most 1.0, got 1.5"),
    ("optimizer.lr", -0.1, "[optimizer]\nlr = -0.1\n", "must be at least 0.0, got -0.1"),
    ("training.dtype", "float16", "[training]\ndtype = 'float16'\n",
     "'float16' is not one of float32, float64"),
    ("training.epochs", "5", "[training]\nepochs = '5'\n",
     "expected an integer, got the string '5'"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value", "toml", "detail"), SAME_AS_FILE)
def test_a_value_alone_gets_the_files_message(key, value, toml, detail):
    with pytest.raises(ScenarioError) as alone:
        check_value(key, value)
    assert str(alone.value) == f"{key}: {detail}"
    assert alone.value.key == key and alone.value.detail == detail
    with pytest.raises(ScenarioError) as in_file:
        parse_scenario(XOR + toml, "t.toml")
    assert str(in_file.value) == f"t.toml: {key}: {detail}"
    assert in_file.value.key == key and in_file.value.detail == detail


def test_data_params_alone_and_in_a_file_and_in_nnviz_data():
    detail = "must be an integer >= 1 and <= 1,000,000, got 2000000"
    with pytest.raises(ScenarioError, match=f"^data.n: {detail}$"):
        check_value("data.n", 2_000_000, data_kind="circles")
    with pytest.raises(DataError) as err:
        load("circles", {"n": 2_000_000})
    assert str(err.value) == f"circles: param 'n' {detail}"
    assert err.value.key == "n" and err.value.detail == detail  # the key as data
    with pytest.raises(ScenarioError, match="^data.noise: must be a number >= 0 and <= 10"):
        check_value("data.noise", 11.0, data_kind="moons")


@pytest.mark.parametrize(
    ("key", "kind", "message"),
    [
        ("training.epoch", None, "training.epoch: unknown key; did you mean 'epochs'?"),
        ("optimizer.rate", None, "optimizer.rate: unknown key; allowed: lr, weight_decay,"),
        ("data.noise", None, "data.noise: a data param needs its data kind"),
        ("data.noise", "circles", "data.noise: unknown key; allowed: n, seed, n_test"),
        ("trainning.epochs", None, "trainning.epochs: unknown key; did you mean 'training'?"),
    ],
)
def test_unknown_keys_are_one_line_errors(key, kind, message):
    with pytest.raises(InputError) as err:
        check_value(key, 1, data_kind=kind)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_a_field_alone():
    spec = Field(float, 0.0, lo=0.0, hi=1.0, hi_open=True)
    assert spec.check(0) == 0.0
    with pytest.raises(FieldError) as err:
        spec.check(1.0, "x.y")
    assert (err.value.key, err.value.detail) == ("x.y", "must be less than 1.0, got 1.0")
    with pytest.raises(FieldError, match="must be a finite number, got nan"):
        spec.check(float("nan"))
    with pytest.raises(FieldError, match="expected a number, got the boolean true"):
        spec.check(True)


def test_l1_sits_beside_l2_in_model():
    sc = parse_scenario(XOR.replace("loss = 'bce'", "loss = 'bce'\nl1 = 0.01\nl2 = 0.02"), "t.toml")
    assert (sc.model.l1, sc.model.l2) == (0.01, 0.02)
    with pytest.raises(ScenarioError, match="^t.toml: model.l1: must be at least 0.0, got -1.0$"):
        parse_scenario(XOR.replace("loss = 'bce'", "loss = 'bce'\nl1 = -1.0"), "t.toml")


def test_trainable_false_freezes_a_layer():
    frozen = XOR.replace("{ units = 2, activation = 'sigmoid' }",
                         "{ units = 2, activation = 'sigmoid', trainable = false }")  # fmt: skip
    sc = parse_scenario(frozen, "t.toml")
    assert [lay.trainable for lay in sc.model.layers] == [False, True]
    with pytest.raises(ScenarioError, match=r"^t.toml: model.layers\[0\].trainable: expected "
                       "true or false, got the string 'no'$"):  # fmt: skip
        parse_scenario(frozen.replace("false", "'no'"), "t.toml")
    assert check_value("model.layers[0].trainable", False) is False

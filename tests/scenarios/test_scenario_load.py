"""The shipped scenarios load, keep the course's numbers, and the listing is right."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnviz.scenario import (
    ModelSpec,
    Scenario,
    ScenarioError,
    list_scenarios,
    load_scenario,
    parse_scenario,
    scenario_dir,
    scenario_names,
)

SHIPPED = {
    "and-by-hand",
    "chain",
    "circles",
    "exercise1",
    "exercise2",
    "gates",
    "mnist",
    "mnist-cnn",
    "mnist-relu",
    "moons",
    "nand-by-hand",
    "not-by-hand",
    "perceptron",
    "perceptron-step",
    "perceptron-update",
    "sine",
    "spiral",
    "vanishing",
    "vanishing-relu",
    "xor",
}
OR_TABLE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(model: ModelSpec, x: np.ndarray) -> np.ndarray:
    """The MLP's output from its explicit weights (all of them must be given)."""
    acts = {"sigmoid": sigmoid, "identity": lambda z: z, "step": lambda z: (z > 0) * 1.0}
    h = x
    for k, layer in enumerate(model.layers, start=1):
        h = acts[layer.activation](h @ model.weight(f"W{k}") + model.weight(f"b{k}"))
    return h


def test_the_shipped_folder():
    folder = scenario_dir()
    assert (folder / "xor.toml").is_file()
    assert set(scenario_names()) == SHIPPED
    assert scenario_names() == sorted(p.stem for p in folder.glob("*.toml"))


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_scenario_loads(name):
    sc = load_scenario(name)
    assert isinstance(sc, Scenario)
    assert sc.name == name == sc.path.stem
    assert sc.description and "\n" not in sc.description
    assert (sc.model is None) != (sc.graph is None)
    assert (sc.data is None) == (sc.graph is not None)
    assert sc == load_scenario(str(sc.path))  # by name or by path: the same
    assert hash(sc) == hash(load_scenario(name))


def test_list_scenarios_is_sorted_with_descriptions():
    listing = list_scenarios()
    names = [n for n, _ in listing]
    assert names == sorted(names) == scenario_names()
    for name, description in listing:
        assert description == load_scenario(name).description


@pytest.mark.parametrize("name", ["chain", "circles", "moons", "sine", "spiral", "xor"])
def test_cheap_data_loads(name):
    sc = load_scenario(name)
    if sc.data is None:
        return
    ds = sc.data.load()
    assert ds.x_train.shape[1] == sc.model.inputs
    assert ds.y_train.shape[1] == sc.model.outputs


def test_scenario_import_stays_light():
    code = (
        "import sys, nnviz.scenario as s; s.list_scenarios(); "
        "bad = {'numba', 'textual', 'rich'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_validating_stays_light():
    code = (
        "import sys, nnviz.scenario as s; [s.load_scenario(n) for n in s.scenario_names()]; "
        "assert 'numba' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# -- the course's numbers -------------------------------------------------------------------


def test_xor_recipe():
    sc = load_scenario("xor")
    assert [(layer.units, layer.activation) for layer in sc.model.layers] == [
        (4, "sigmoid"),
        (1, "sigmoid"),
    ]
    assert (sc.model.loss, sc.model.init, sc.model.init_scale) == ("bce", "uniform", 0.7)
    assert (sc.optimizer.kind, sc.optimizer.lr) == ("sgd", 0.5)
    assert (sc.training.epochs, sc.training.batch_size) == (10000, 0)
    assert sc.view.truth_table
    assert sc.model.param_count() == 17  # 2-4-1: 4(2 + 1) + 1(4 + 1)


def test_gates_make_xor_by_hand():
    sc = load_scenario("gates")
    x = sc.data.load().x_train.astype(np.float64)
    assert x.tolist() == OR_TABLE.tolist()
    out = forward(sc.model, x).ravel()
    assert np.round(out).tolist() == [0, 1, 1, 0]
    hidden = sigmoid(x @ sc.model.weight("W1") + sc.model.weight("b1"))
    assert np.round(hidden[:, 0]).tolist() == [0, 1, 1, 1]  # OR
    assert np.round(hidden[:, 1]).tolist() == [1, 1, 1, 0]  # NAND
    assert sc.optimizer.lr == 0.0


def test_perceptron_starts_at_the_course_table():
    sc = load_scenario("perceptron")
    ds = sc.data.load()
    assert ds.y_train.ravel().tolist() == [0, 1, 1, 1]  # OR
    x = ds.x_train.astype(np.float64)
    h = (x @ sc.model.weight("W1") + sc.model.weight("b1")).ravel()
    assert h.tolist() == [-0.5, -1.5, 0.5, -0.5]
    assert np.round(sigmoid(h), 2).tolist() == [0.38, 0.18, 0.62, 0.38]
    assert (sc.model.loss, sc.optimizer.kind, sc.training.batch_size) == ("mse", "sgd", 0)


def test_perceptron_step_learns_or_and_but_not_xor():
    sc = load_scenario("perceptron-step")
    assert (sc.optimizer.kind, sc.optimizer.lr, sc.training.batch_size) == ("perceptron", 0.1, 1)
    sets = sc.data.load()
    assert [name for name, _ in sets] == ["or", "and", "xor"]
    learnt = {}
    for name, ds in sets:  # the perceptron rule, one sample at a time, in order
        w = sc.model.weight("W1")[:, 0].copy()
        b = float(sc.model.weight("b1")[0])
        for _ in range(sc.training.epochs):
            for xi, yi in zip(ds.x_train, ds.y_train[:, 0], strict=True):
                a = float(xi @ w + b > 0)
                w += sc.optimizer.lr * (yi - a) * xi
                b += sc.optimizer.lr * (yi - a)
        learnt[name] = ((ds.x_train @ w + b > 0) == ds.y_train[:, 0]).all()
    assert learnt == {"or": True, "and": True, "xor": False}


def test_course_update_example():
    # theta <- theta + eta (y - a) x with eta = 0.1, x = (1, 0.5, 1), all theta = 1, y2 = 0:
    # a2 = step(2.5) = 1, so theta_02 = 1 + 0.1 (0 - 1) 1 = 0.9.
    lr = load_scenario("perceptron-step").optimizer.lr
    assert 1 + lr * (0 - 1) * 1 == pytest.approx(0.9)


def test_exercise1_weights():
    sc = load_scenario("exercise1")
    m = sc.model
    assert m.weight("W1").tolist() == [[1, 1, 1]]
    assert m.weight("b1").tolist() == [0, -2, -4]
    assert m.weight("W2").ravel().tolist() == [1, -2, 0.5]
    assert m.weight("b2").tolist() == [0.1]
    assert sc.view.x_range == (-4.0, 8.0)
    ds = sc.data.load()
    assert np.allclose(forward(m, ds.x_train.astype(np.float64)), ds.y_train, atol=1e-4)


def test_circles_sine_and_mnist_recipes():
    c = load_scenario("circles")
    assert (c.data.kind, c.data.get("n")) == ("circles", 400)
    assert (c.optimizer.kind, c.optimizer.lr, c.training.batch_size) == ("adam", 0.03, 100)
    assert (c.training.epochs, c.model.init, c.model.param_count()) == (1000, "glorot", 17)

    s = load_scenario("sine")
    assert [(layer.units, layer.activation) for layer in s.model.layers] == [
        (32, "sigmoid"),
        (1, "identity"),
    ]
    assert (s.model.loss, s.optimizer.kind) == ("mse", "adam")

    m = load_scenario("mnist")
    assert [(layer.units, layer.activation) for layer in m.model.layers] == [
        (100, "sigmoid"),
        (10, "softmax"),
    ]
    assert (m.model.loss, m.optimizer.kind, m.optimizer.lr) == ("cross_entropy", "adam", 1e-3)
    assert (m.training.batch_size, m.training.epochs, m.model.init) == (100, 30, "glorot")

    r = load_scenario("mnist-relu")
    assert [(layer.units, layer.activation) for layer in r.model.layers] == [
        (512, "relu"),
        (10, "softmax"),
    ]
    assert (r.optimizer.kind, r.optimizer.lr) == ("rmsprop", 1e-3)
    assert (r.training.batch_size, r.training.epochs) == (128, 5)
    assert r.model.param_count() == 401_920 + 5_130


# -- records ----------------------------------------------------------------------------------


def test_weights_are_read_only_float64():
    w = load_scenario("gates").model.weight("W1")
    assert w.dtype == np.float64 and w.shape == (2, 2)
    with pytest.raises(ValueError):
        w[0, 0] = 1.0
    assert load_scenario("xor").model.weight("W1") is None


def test_optimizer_defaults_are_filled_in():
    sc = load_scenario("circles")
    assert sc.optimizer.get("beta1") == 0.9
    assert sc.optimizer.get("eps") == 1e-8
    assert sc.optimizer.get("momentum") is None
    relu = load_scenario("mnist-relu").optimizer
    assert (relu.get("alpha"), relu.get("eps")) == (0.99, 1e-8)


def test_defaults_of_a_minimal_file():
    sc = parse_scenario(
        '[data]\nkind = "gate"\n[model]\nlayers = [{ units = 1, activation = "sigmoid" }]\n'
        'loss = "mse"\n',
        "tiny.toml",
    )
    assert sc.name == "tiny" and sc.description == ""
    assert sc.model.inputs == 2  # from the data
    assert (sc.model.init, sc.model.init_scale, sc.model.l2) == ("glorot", 0.7, 0.0)
    assert sc.optimizer.kind == "sgd" and sc.optimizer.lr == 0.01
    t = sc.training
    assert (t.epochs, t.batch_size, t.seed, t.dtype, t.shuffle) == (100, 0, 0, "float32", True)
    assert (t.schedule, t.schedule_step, t.gamma) == ("constant", 100, 0.5)
    assert (sc.view.x_range, sc.view.y_range, sc.view.truth_table) == (None, None, False)


def test_inputs_from_w1_when_the_data_does_not_say():
    sc = parse_scenario(
        '[data]\nkind = "table"\nx = [[0, 0, 1], [1, 1, 0]]\ny = [0, 1]\n'
        '[model]\nlayers = [{ units = 1, activation = "sigmoid" }]\nloss = "bce"\n'
        "[model.weights]\nW1 = [[1.0], [2.0], [3.0]]\n",
        "table.toml",
    )
    assert sc.model.inputs == 3
    assert sc.model.weight_shapes() == (("W1", (3, 1)), ("b1", (1,)))


def test_csv_path_is_relative_to_the_scenario(tmp_path):
    (tmp_path / "pts.csv").write_text("x1,x2,label\n0,0,0\n1,1,1\n0.5,0.2,0\n")
    (tmp_path / "mine.toml").write_text(
        '[data]\nkind = "csv"\npath = "pts.csv"\n'
        '[model]\nlayers = [{ units = 1, activation = "sigmoid" }]\nloss = "bce"\n'
    )
    sc = load_scenario(str(tmp_path / "mine.toml"))
    assert sc.name == "mine"
    assert sc.data.load().x_train.shape == (3, 2)
    (tmp_path / "pts.csv").write_text("x1,x2,label\n0,a,0\n")
    with pytest.raises(ScenarioError) as info:
        sc.data.load()
    assert str(info.value) == "mine.toml: data.path: pts.csv:2: 'a' is not a number"


def test_data_errors_name_the_file_and_param():
    sc = parse_scenario(
        '[data]\nkind = "table"\nx = [1, 2]\ny = [0, 1, 1]\n'
        '[model]\nlayers = [{ units = 1, activation = "sigmoid" }]\nloss = "bce"\n',
        "rows.toml",
    )
    with pytest.raises(ScenarioError) as info:
        sc.data.load()
    assert str(info.value) == "rows.toml: data.x: has 2 rows but 'y' has 3"


def test_load_by_path_object():
    path = scenario_dir() / "xor.toml"
    assert load_scenario(path) == load_scenario("xor")


LINEAR = """
name = "lin"
[data]
kind = "sine"
[model]
layers = [{ units = 8, activation = "tanh" }, { units = 1, activation = "linear" }]
loss = "mse"
"""


def test_linear_is_the_identity_as_the_course_and_keras_spell_it():
    sc = parse_scenario(LINEAR, "lin.toml")
    assert [layer.activation for layer in sc.model.layers] == ["tanh", "identity"]
    same = parse_scenario(LINEAR.replace('"linear"', '"identity"'), "lin.toml")
    assert sc.model == same.model


def test_linear_output_with_bce_logits_is_allowed_as_identity_is():
    text = (LINEAR.replace('kind = "sine"', 'kind = "moons"')
            .replace('loss = "mse"', 'loss = "bce_logits"'))  # fmt: skip
    assert parse_scenario(text, "lin.toml").model.layers[-1].activation == "identity"


def test_info_shows_a_linear_layer_as_identity(tmp_path):
    from click.testing import CliRunner

    from nnviz.cli import cli

    path = tmp_path / "lin.toml"
    path.write_text(LINEAR)
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 0, result.output
    assert "dense_2 (identity)" in result.stdout and "linear" not in result.stdout

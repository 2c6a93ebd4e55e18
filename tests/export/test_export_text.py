"""The exported scripts as text (no torch or keras needed): valid Python that passes the
project's own lint, with nothing of the scenario lost on the way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from nnviz.export import export_script
from nnviz.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["xor", "gates", "perceptron", "exercise1", "circles", "moons", "spiral", "sine",
           "mnist", "mnist-relu"]  # fmt: skip


@pytest.fixture(autouse=True)
def _no_real_mnist(monkeypatch, tmp_path):
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.mark.parametrize("target", ["pytorch", "keras"])
def test_every_shipped_model_exports_as_lint_clean_python(tmp_path, target):
    for name in SHIPPED:
        text = export_script(load_scenario(name), target)
        ast.parse(text)
        (tmp_path / f"{name.replace('-', '_')}_{target}.py").write_text(text)
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
         str(ROOT / "pyproject.toml"), str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_hyperparameters_and_schedule_are_written_out():
    sc = load_scenario("mnist-relu")
    torch_text = export_script(sc, "pytorch")
    assert "optim.RMSprop(" in torch_text
    assert "alpha=0.99" in torch_text and "eps=1e-08" in torch_text and "lr=0.001" in torch_text
    keras_text = export_script(sc, "keras")
    assert "RMSprop(learning_rate=0.001, rho=0.99, epsilon=1e-08)" in keras_text
    assert "class RMSprop(keras.optimizers.RMSprop)" in keras_text


def test_a_big_network_draws_its_init_instead_of_listing_it():
    text = export_script(load_scenario("mnist-relu"), "pytorch")
    assert "START = nnviz_init([(784, 512), (512, 10)], seed=0)" in text
    assert len(text) < 20_000


def test_writing_a_script_imports_neither_torch_nor_keras():
    body = (
        "import sys\n"
        "from nnviz.export import export_script\n"
        "from nnviz.scenario import load_scenario\n"
        "for target in ('pytorch', 'keras'):\n"
        "    export_script(load_scenario('circles'), target)\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "bad = sorted(top & {'torch', 'keras', 'textual', 'rich'})\n"
        "print('loaded:', bad)\n"
    )
    ran = subprocess.run([sys.executable, "-c", body], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert "loaded: []" in ran.stdout


def test_a_data_set_too_big_to_embed_is_refused():
    from nnviz.export import ExportError

    sc = load_scenario("sine")
    big = sc.data.__class__(
        kind="sine", params=(("n", 30_000), ("n_test", 0)), base_dir=None, source="sine.toml"
    )
    with pytest.raises(ExportError, match=r"sine data of 60,000 numbers: a script embeds at most"):
        export_script(type(sc)(**{**sc.__dict__, "data": big}), "pytorch")


FROZEN_L2 = """\
name = "frozen"
[data]
kind = "gate"
[model]
layers = [{ units = 3, activation = "tanh", trainable = false },
          { units = 1, activation = "sigmoid" }]
loss = "bce"
l2 = 0.01
l1 = 0.02
"""


def test_l1_and_frozen_layers_are_written_or_refused(tmp_path):
    from nnviz.export import ExportError
    from nnviz.scenario import parse_scenario

    sc = parse_scenario(FROZEN_L2, tmp_path / "frozen.toml")
    torch_text = export_script(sc, "pytorch")
    assert "model.fc1.requires_grad_(False)" in torch_text
    assert "model.fc2.requires_grad_" not in torch_text
    assert "L1 * (model.fc1.weight.abs().sum() + model.fc2.weight.abs().sum())" in torch_text
    ast.parse(torch_text)
    with pytest.raises(ExportError, match=r"^frozen: cannot export a frozen layer \(model.layers"
                       r"\[0\]\) with l1/l2 to Keras: "):  # fmt: skip
        export_script(sc, "keras")
    free = parse_scenario(FROZEN_L2.replace(", trainable = false", ""), tmp_path / "f.toml")
    keras_text = export_script(free, "keras")
    assert "keras.regularizers.L1L2(l1=L1, l2=L2)" in keras_text and "trainable" not in keras_text
    no_penalty = FROZEN_L2.replace("l2 = 0.01\nl1 = 0.02\n", "")
    keras_frozen = export_script(parse_scenario(no_penalty, tmp_path / "n.toml"), "keras")
    assert 'layers.Dense(3, activation="tanh", trainable=False, name="hidden1")' in keras_frozen


def test_engineered_features_are_refused(tmp_path):
    from nnviz.export import ExportError
    from nnviz.scenario import parse_scenario

    text = FROZEN_L2.replace('kind = "gate"', 'kind = "gate"\nfeatures = ["x1", "x1*x2"]')
    with pytest.raises(ExportError, match=r"^frozen: cannot export data.features = \['x1', "
                       r"'x1\*x2'\]: the script feeds the data's own columns"):  # fmt: skip
        export_script(parse_scenario(text, tmp_path / "f.toml"), "pytorch")

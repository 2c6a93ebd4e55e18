"""The exported scripts, run: their losses match nnviz's, epoch by epoch and at the end,
within 1e-5 relative (float32 rounding differs between them and nnviz; nothing else may).

Each script is executed as written (runpy, and once as a separate process); nnviz trains the
same scenario through nnviz.session, as `nnviz train` does. Every case runs for PyTorch and,
where Keras 3 is installed, for Keras on its PyTorch backend.
"""

from __future__ import annotations

import gzip
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from export_support import (
    assert_matches,
    export_to,
    nnviz_run,
    run_script,
    scenario_text,
)

from nnviz.scenario import load_scenario, parse_scenario

torch = pytest.importorskip("torch")

RTOL = 1e-5
# Keras 3.15 on numpy 2 warns about __array__'s copy keyword on every conversion.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(params=["pytorch", "keras"])
def target(request, monkeypatch):
    if request.param == "keras":
        monkeypatch.setenv("KERAS_BACKEND", "torch")
        pytest.importorskip("keras")
    return request.param


def _param_count(namespace: dict, target: str) -> int:
    """The script's model's parameters, as its library counts them (Keras: its summary's)."""
    model = namespace["model"]
    if target == "keras":
        return model.count_params()
    return sum(p.numel() for p in model.parameters())


def _keras_settings(target: str, settings: str) -> str:
    """Keras's weight decay is decoupled, so its export refuses nnviz's (tested apart)."""
    if target != "keras":
        return settings
    return "\n".join(line for line in settings.splitlines() if "weight_decay" not in line)


@pytest.fixture(autouse=True)
def _no_real_mnist(monkeypatch, tmp_path):
    """MNIST comes from the bundled sample or a test's own IDX files, never the user's cache."""
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_xor_ten_full_batch_steps_match_nnviz(tmp_path, target):
    sc = load_scenario("xor").with_overrides(epochs=10)
    ran = run_script(export_to(tmp_path, sc, target))
    ref = nnviz_run(sc)
    assert len(ran["history"]) == 10
    assert _param_count(ran, target) == sc.model.param_count() == 17
    assert_matches(ran, ref, RTOL)
    assert ran["train_loss"] != pytest.approx(ref.epoch_losses[0], rel=1e-3)  # it did train


def test_circles_one_epoch_of_shuffled_minibatches_matches_nnviz(tmp_path, target):
    sc = load_scenario("circles").with_overrides(epochs=1)
    ran = run_script(export_to(tmp_path, sc, target))
    ref = nnviz_run(sc)
    assert ref.steps == 4  # 400 rows in batches of 100, in nnviz's order
    assert _param_count(ran, target) == sc.model.param_count()
    assert_matches(ran, ref, RTOL)


def test_the_script_runs_as_a_program_and_prints_nnvizs_final_loss(tmp_path, target):
    sc = load_scenario("xor").with_overrides(epochs=10)
    path = export_to(tmp_path, sc, target)
    proc = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    # the model printed, as the course does: print(model) or model.summary()
    assert ("Net(" if target == "pytorch" else "Total params: 17") in proc.stdout
    final = re.search(r"Training set: loss ([0-9.]+)", proc.stdout)
    assert final, proc.stdout
    assert float(final.group(1)) == pytest.approx(nnviz_run(sc).final_loss, rel=1e-5, abs=1e-6)


def test_the_script_samples_rows_in_nnvizs_order_every_epoch(tmp_path, target):
    from nnviz.engine.loop import epoch_order

    sc = load_scenario("moons").with_overrides(epochs=1)
    namespace = run_script(export_to(tmp_path, sc, target))
    order = namespace["nnviz_order"]
    for n, seed, epoch in [(400, 0, 0), (400, 0, 1), (37, 5, 12), (2, 3, 0), (1000, 2**31, 7)]:
        assert order(n, seed, epoch) == list(epoch_order(n, True, seed, epoch))


OPTIMIZERS = [
    ("sgd", "lr = 0.3\nweight_decay = 0.01"),
    ("momentum", "lr = 0.1\nmomentum = 0.8\nweight_decay = 0.001"),
    ("nesterov", "lr = 0.1\nmomentum = 0.9"),
    ("rmsprop", "lr = 0.01\nalpha = 0.9\neps = 1e-6\nweight_decay = 0.01"),
    ("adam", "lr = 0.02\nbeta1 = 0.8\nbeta2 = 0.99\neps = 1e-7\nweight_decay = 0.01"),
    ("adagrad", "lr = 0.1\neps = 1e-9\nweight_decay = 0.001"),
]


@pytest.mark.parametrize(("kind", "settings"), OPTIMIZERS, ids=[k for k, _ in OPTIMIZERS])
def test_every_optimizer_matches_nnviz_over_a_few_steps(tmp_path, target, kind, settings):
    settings = _keras_settings(target, settings)
    sc = parse_scenario(
        scenario_text(optimizer=f'kind = "{kind}"\n{settings}'), tmp_path / "opt.toml"
    )
    ran = run_script(export_to(tmp_path, sc, target))
    ref = nnviz_run(sc)
    assert ref.steps == 6
    assert_matches(ran, ref, RTOL)


LOSSES = {
    "mse": dict(data='kind = "sine"\nn = 40\nn_test = 10', out="identity", loss="mse"),
    "mae": dict(data='kind = "sine"\nn = 40\nn_test = 10', out="identity", loss="mae"),
    "bce": dict(out="sigmoid", loss="bce"),
    "bce_logits (identity)": dict(out="identity", loss="bce_logits"),
    "bce_logits (sigmoid)": dict(out="sigmoid", loss="bce_logits"),
    "cross_entropy": dict(
        data=(
            'kind = "table"\ntask = "multiclass"\n'
            "x = [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.2], [0.1, 0.9], [0.8, 0.7], [0.3, 0.4]]\n"
            "y = [0, 1, 2, 1, 0, 2, 1, 0]"
        ),
        out="softmax",
        loss="cross_entropy",
        units=3,
        hidden="relu",
    ),
    "softmax + mse": dict(
        data='kind = "table"\ntask = "multiclass"\nx = [[0, 0], [0, 1], [1, 0], [1, 1]]\n'
        "y = [0, 1, 1, 2]",
        out="softmax",
        loss="mse",
        units=3,
    ),
    "bce + l2": dict(out="sigmoid", loss="bce", l2=0.01),
    "bce + l1": dict(out="sigmoid", loss="bce", l1=0.01),
    "mse + l1 + l2": dict(out="identity", loss="mse", l1=0.02, l2=0.01),
}


@pytest.mark.parametrize("case", list(LOSSES))
def test_every_loss_matches_nnviz_over_a_few_steps(tmp_path, target, case):
    sc = parse_scenario(scenario_text(**LOSSES[case]), tmp_path / "loss.toml")
    ran = run_script(export_to(tmp_path, sc, target))
    assert_matches(ran, nnviz_run(sc), RTOL)


def test_a_frozen_layer_matches_nnviz(tmp_path, target):
    text = scenario_text().replace(
        'activation = "tanh" }', 'activation = "tanh", trainable = false }'
    )
    sc = parse_scenario(text, tmp_path / "frozen.toml")
    assert not sc.model.layers[0].trainable
    ran = run_script(export_to(tmp_path, sc, target))
    assert_matches(ran, nnviz_run(sc), RTOL)


@pytest.mark.parametrize(
    ("optimizer", "schedule"),
    [
        ('kind = "sgd"\nlr = 0.5', 'schedule = "step"\nschedule_step = 2\ngamma = 0.5'),
        ('kind = "adam"\nlr = 0.05', 'schedule = "exponential"\ngamma = 0.7'),
        ('kind = "momentum"\nlr = 0.2', 'schedule = "step"\nschedule_step = 1\ngamma = 0.3'),
    ],
    ids=["sgd-step", "adam-exponential", "momentum-step"],
)
def test_learning_rate_schedules_match_nnviz(tmp_path, target, optimizer, schedule):
    if target == "keras" and "momentum" in optimizer:
        pytest.skip("refused for Keras (test_export_cli checks the message)")
    text = scenario_text(optimizer=optimizer, training=f"epochs = 5\nbatch_size = 16\n{schedule}")
    sc = parse_scenario(text, tmp_path / "sched.toml")
    ran = run_script(export_to(tmp_path, sc, target))
    assert_matches(ran, nnviz_run(sc), RTOL)


def test_float64_matches_nnviz(tmp_path, target):
    sc = load_scenario("circles").with_overrides(epochs=2, dtype="float64")
    path = export_to(tmp_path, sc, target)
    said = {"pytorch": "torch.set_default_dtype(torch.float64)", "keras": 'set_floatx("float64")'}
    assert said[target] in path.read_text()
    ran = run_script(path)
    # Keras 3.15 hands its losses back rounded to float32 (its weights train in float64)
    assert_matches(ran, nnviz_run(sc), 1e-12 if target == "pytorch" else RTOL)


def test_hand_set_weights_are_the_start(tmp_path, target):
    # exercise1 starts at its data's own network: an MSE of 4e-10, float32 rounding noise, so
    # this compares in float64
    sc = load_scenario("exercise1").with_overrides(epochs=3, dtype="float64")
    if target == "keras":
        pytest.skip("Keras reports float64 losses rounded to float32: this case needs float64")
    ran = run_script(export_to(tmp_path, sc, target))
    np.testing.assert_array_equal(ran["START"]["b1"], [0.0, -2.0, -4.0])
    assert_matches(ran, nnviz_run(sc), 1e-9)


def _mnist_scenario(tmp_path, source="sample"):
    text = scenario_text(
        data=f'kind = "mnist"\nsource = "{source}"\nlimit_train = 300\nlimit_test = 100',
        inputs=784,
        units=10,
        out="softmax",
        loss="cross_entropy",
        hidden="sigmoid",
        width=100,
        optimizer='kind = "adam"\nlr = 0.001',
        training="epochs = 1\nbatch_size = 100\nseed = 3",
    )
    return parse_scenario(text, tmp_path / "mnist.toml")


def test_mnist_sample_loader_and_nnvizs_init_in_the_script(tmp_path, target):
    sc = _mnist_scenario(tmp_path)
    path = export_to(tmp_path, sc, target)
    text = path.read_text()
    assert "def nnviz_init" in text and "mnist_sample.npz" in text  # 79,510 weights: not inlined
    assert len(text) < 20_000
    ran = run_script(path)
    ref = nnviz_run(sc)
    for name, value in ref.start.items():  # the script draws nnviz's starting weights exactly
        np.testing.assert_array_equal(ran["START"][name], value.reshape(ran["START"][name].shape))
    assert_matches(ran, ref, RTOL)


def _write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    array = np.asarray(array, dtype=np.uint8)
    data = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.tobytes()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)


def test_mnist_idx_files_are_read_by_the_script(tmp_path, target):
    folder = tmp_path / "idx"
    folder.mkdir()
    rng = np.random.default_rng(1)
    names = {"train": 320, "t10k": 120}
    for split, n in names.items():
        _write_idx(
            folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), True
        )
        _write_idx(folder / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n), False)
    sc = _mnist_scenario(tmp_path, source="full")
    path = export_to(tmp_path, sc, target, data_dir=folder)
    assert "def read_idx" in path.read_text()
    ran = run_script(path)
    assert ran["x_train"].shape == (300, 784)
    assert_matches(ran, nnviz_run(sc, data_dir=folder), RTOL)


def test_loaded_weights_are_the_start_small_and_big(tmp_path, target):
    from nnviz.session import build

    for sc in (load_scenario("xor").with_overrides(epochs=5), _mnist_scenario(tmp_path)):
        session = build(sc)
        rng = np.random.default_rng(7)
        saved = {n: rng.normal(0, 0.3, v.shape) for n, v in session.model.params().items()}
        weights_file = tmp_path / f"{sc.name}-w.npz"
        np.savez(weights_file, **saved)
        path = export_to(tmp_path, sc, target, weights=saved, weights_path=weights_file)
        assert ("WEIGHTS =" in path.read_text()) == (sc.name != "xor")
        ran = run_script(path)
        ref = nnviz_run(sc, weights=saved)
        assert_matches(ran, ref, RTOL)

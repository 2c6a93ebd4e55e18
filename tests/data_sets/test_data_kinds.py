"""nnviz.data.load: every kind, its params, determinism, and the Dataset record."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nnviz.data import DATA_KINDS, INPUT_SIZES, DataError, Dataset, load

GENERATED = ["circles", "moons", "spiral", "gaussians", "sine"]


@pytest.fixture(autouse=True)
def _no_full_mnist(monkeypatch, tmp_path):
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _check_arrays(ds: Dataset) -> None:
    for arr in (ds.x_train, ds.y_train, ds.x_test, ds.y_test):
        if arr is None:
            continue
        assert arr.dtype == np.float32
        assert arr.ndim == 2
        assert arr.flags.c_contiguous
        assert np.all(np.isfinite(arr))


def _required(kind: str) -> dict:
    return {
        "csv": {},  # covered in test_data_tabular.py
        "table": {"x": [[0, 0], [1, 1]], "y": [0, 1]},
    }.get(kind, {})


def test_kinds_and_input_sizes_agree():
    assert set(DATA_KINDS) == set(INPUT_SIZES)
    assert set(DATA_KINDS) == {
        "gate",
        "circles",
        "moons",
        "spiral",
        "gaussians",
        "sine",
        "csv",
        "table",
        "mnist",
    }
    assert DATA_KINDS["circles"] == {"n": 400, "seed": 0, "n_test": 0}
    assert DATA_KINDS["sine"] == {"n": 100, "noise": 0.1, "seed": 0, "n_test": 100}
    assert DATA_KINDS["csv"]["path"] is str
    assert DATA_KINDS["mnist"] == {"source": "auto", "limit_train": 0, "limit_test": 0}


@pytest.mark.parametrize("kind", [k for k in DATA_KINDS if k != "csv"])
def test_every_kind_loads_with_defaults(kind):
    ds = load(kind, _required(kind))
    _check_arrays(ds)
    if INPUT_SIZES[kind] is not None:
        assert ds.n_inputs == INPUT_SIZES[kind]
    assert ds.task in ("binary", "multiclass", "regression")
    if ds.task == "binary":
        assert ds.n_outputs == 1
        assert set(np.unique(ds.y_train)) <= {0.0, 1.0}
    assert ds.source


def test_defaults_from_data_kinds_are_accepted():
    for kind, params in DATA_KINDS.items():
        given = {k: v for k, v in params.items() if not isinstance(v, type)}
        if kind in ("csv", "table"):
            continue
        load(kind, given)


@pytest.mark.parametrize(
    ("gate", "truth"),
    [
        ("and", [0, 0, 0, 1]),
        ("or", [0, 1, 1, 1]),
        ("nand", [1, 1, 1, 0]),
        ("nor", [1, 0, 0, 0]),
        ("xor", [0, 1, 1, 0]),
    ],
)
def test_gate_truth_tables(gate, truth):
    ds = load("gate", {"gate": gate})
    np.testing.assert_array_equal(ds.x_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(ds.y_train[:, 0], truth)
    assert ds.y_train.shape == (4, 1)
    assert ds.x_test is None and ds.y_test is None
    assert ds.task == "binary"


def _reference_circles(n: int, seed: int):
    """The course's set as ../shared/peers/common.py's synth_data draws it."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    r2 = (X[:, 0] - 0.5) ** 2 + (X[:, 1] - 0.5) ** 2
    z = 10 * (np.exp(-8 * r2) - 0.5)
    p = 1 / (1 + np.exp(-z))
    u = rng.random(n)
    y = (u < p).astype(np.float32)
    return X.astype(np.float32), y


@pytest.mark.parametrize(("n", "seed"), [(400, 0), (1000, 7), (3, 123)])
def test_circles_match_the_reference_bit_for_bit(n, seed):
    ds = load("circles", {"n": n, "seed": seed})
    X, y = _reference_circles(n, seed)
    assert ds.x_train.tobytes() == X.tobytes()
    np.testing.assert_array_equal(ds.y_train[:, 0], y.astype(np.float32))


def test_circles_test_set_is_drawn_from_seed_plus_one():
    ds = load("circles", {"n": 50, "seed": 4, "n_test": 30})
    X, y = _reference_circles(30, 5)
    assert ds.x_test.tobytes() == X.tobytes()
    np.testing.assert_array_equal(ds.y_test[:, 0], y)


@pytest.mark.parametrize("kind", GENERATED)
def test_same_seed_same_arrays(kind):
    a = load(kind, {"seed": 3, "n_test": 10})
    b = load(kind, {"seed": 3, "n_test": 10})
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes()
    c = load(kind, {"seed": 4, "n_test": 10})
    assert a.x_train.tobytes() != c.x_train.tobytes()


@pytest.mark.parametrize("kind", GENERATED)
def test_sizes_follow_params(kind):
    ds = load(kind, {"n": 37, "n_test": 11})
    assert ds.x_train.shape[0] == ds.y_train.shape[0] == 37
    assert ds.x_test.shape[0] == ds.y_test.shape[0] == 11
    none = load(kind, {"n": 5, "n_test": 0})
    assert none.x_test is None and none.y_test is None


@pytest.mark.parametrize("kind", ["moons", "spiral", "gaussians"])
def test_binary_sets_are_balanced(kind):
    ds = load(kind, {"n": 101})
    assert ds.task == "binary"
    assert int(ds.y_train.sum()) == 51
    assert ds.class_names == ("0", "1")


def test_moons_without_noise_lie_on_their_arcs():
    ds = load("moons", {"noise": 0.0})
    x, lab = ds.x_train.astype(np.float64), ds.labels_train
    upper = x[lab == 0]
    lower = x[lab == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert np.all(upper[:, 1] >= -1e-6) and np.all(lower[:, 1] <= 0.5 + 1e-6)


def test_spiral_without_noise_stays_in_the_unit_disc():
    ds = load("spiral", {"noise": 0.0, "turns": 2.5, "n": 300})
    r = np.hypot(ds.x_train[:, 0], ds.x_train[:, 1])
    assert r.max() <= 1.0 + 1e-6 and r.min() >= 0.05 - 1e-6


def test_far_gaussians_are_separable():
    ds = load("gaussians", {"distance": 30.0, "std": 0.5, "n": 200})
    side = (ds.x_train[:, 0] + ds.x_train[:, 1]) > 0
    np.testing.assert_array_equal(side.astype(np.int64), ds.labels_train)


def test_sine_is_regression_with_noise():
    ds = load("sine", {"noise": 0.0, "n": 64})
    assert ds.task == "regression"
    assert ds.y_train.shape == (64, 1) and ds.x_train.shape == (64, 1)
    assert np.all((ds.x_train >= 0) & (ds.x_train <= 1))
    np.testing.assert_allclose(ds.y_train, np.sin(2 * np.pi * ds.x_train), atol=1e-5)
    assert ds.x_test.shape == (100, 1)
    assert ds.labels_train is None and ds.bounds is None and ds.class_names == ()
    noisy = load("sine", {"noise": 0.5, "n": 2000})
    resid = noisy.y_train - np.sin(2 * np.pi * noisy.x_train)
    assert 0.4 < float(resid.std()) < 0.6


@pytest.mark.parametrize(
    ("kind", "params", "named"),
    [
        ("circles", {"m": 3}, "'m'"),
        ("circles", {"n": 0}, "'n'"),
        ("circles", {"n": -5}, "'n'"),
        ("circles", {"n": 2.5}, "'n'"),
        ("circles", {"n": "400"}, "'n'"),
        ("circles", {"n": True}, "'n'"),
        ("circles", {"seed": -1}, "'seed'"),
        ("circles", {"n_test": -1}, "'n_test'"),
        ("moons", {"noise": -0.1}, "'noise'"),
        ("moons", {"noise": "lots"}, "'noise'"),
        ("moons", {"noise": float("nan")}, "'noise'"),
        ("spiral", {"turns": 0}, "'turns'"),
        ("gaussians", {"std": 0.0}, "'std'"),
        ("gaussians", {"distance": -1}, "'distance'"),
        ("sine", {"n_test": 1.0}, "'n_test'"),
        ("gate", {"gate": "xnor"}, "'gate'"),
        ("gate", {"gate": 1}, "'gate'"),
        ("mnist", {"source": "web"}, "'source'"),
        ("mnist", {"limit_train": -1}, "'limit_train'"),
        ("mnist", {"limit": 10}, "'limit'"),
        ("csv", {}, "'path'"),
        ("csv", {"path": "p.csv", "test_fraction": 1.0}, "'test_fraction'"),
        ("table", {"x": [[1]]}, "'y'"),
        ("table", {"x": 3, "y": [1]}, "'x'"),
        ("table", {"x": [[1]], "y": [1], "task": "ranking"}, "'task'"),
    ],
)
def test_bad_params_name_the_param(kind, params, named):
    with pytest.raises(DataError) as err:
        load(kind, params)
    message = str(err.value)
    assert named in message
    assert message.startswith(kind)
    assert "\n" not in message


def test_unknown_kind():
    with pytest.raises(DataError, match="unknown data kind 'squares'"):
        load("squares", {})


def test_params_must_be_a_mapping():
    with pytest.raises(DataError, match="circles: params"):
        load("circles", [1, 2])  # type: ignore[arg-type]


def test_floats_accept_ints():
    ds = load("moons", {"noise": 0, "n": 10})
    assert ds.n_train == 10


def test_dataset_properties():
    ds = load("circles", {"n": 20, "n_test": 5})
    assert ds.n_inputs == 2 and ds.n_outputs == 1
    np.testing.assert_array_equal(ds.labels_train, ds.y_train[:, 0].astype(np.int64))
    assert ds.labels_test.shape == (5,)
    (x0, x1), (y0, y1) = ds.bounds
    lo, hi = ds.x_train.min(axis=0), ds.x_train.max(axis=0)
    assert x0 == pytest.approx(lo[0] - 0.1 * (hi[0] - lo[0]))
    assert x1 == pytest.approx(hi[0] + 0.1 * (hi[0] - lo[0]))
    assert y0 == pytest.approx(lo[1] - 0.1 * (hi[1] - lo[1]))
    assert y1 == pytest.approx(hi[1] + 0.1 * (hi[1] - lo[1]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]
    assert "circles" in repr(ds)


def test_gate_bounds_have_a_margin():
    assert load("gate", {}).bounds == ((-0.1, 1.1), (-0.1, 1.1))


def test_dataset_converts_and_checks_its_arrays():
    ds = Dataset(
        name="t",
        x_train=np.arange(6, dtype=np.float64).reshape(3, 2)[:, ::-1],
        y_train=[[0], [1], [1]],
        x_test=None,
        y_test=None,
        task="binary",
    )
    assert ds.x_train.dtype == np.float32 and ds.x_train.flags.c_contiguous
    assert ds.y_train.dtype == np.float32
    with pytest.raises(DataError, match="rows"):
        Dataset("t", np.zeros((3, 2)), np.zeros((2, 1)), None, None, "binary")
    with pytest.raises(DataError, match="task"):
        Dataset("t", np.zeros((3, 2)), np.zeros((3, 1)), None, None, "ranking")
    with pytest.raises(DataError, match="2-D"):
        Dataset("t", np.zeros(3), np.zeros((3, 1)), None, None, "binary")
    with pytest.raises(DataError, match="image_shape"):
        Dataset("t", np.zeros((3, 2)), np.zeros((3, 1)), None, None, "binary", image_shape=(2, 2))


def test_multiclass_labels_are_argmax():
    ds = Dataset(
        "m",
        np.zeros((3, 1)),
        np.eye(3)[[2, 0, 1]],
        np.zeros((1, 1)),
        np.eye(3)[[1]],
        "multiclass",
    )
    np.testing.assert_array_equal(ds.labels_train, [2, 0, 1])
    np.testing.assert_array_equal(ds.labels_test, [1])
    assert ds.labels_train.dtype == np.int64

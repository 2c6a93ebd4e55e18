"""The IDX reader: round trips, gzip or raw by content, and one-line errors naming the file."""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnviz.data import DataError, idx

FASHION = Path("/usr/share/datasets/fashion-mnist")


def write_idx(path: Path, array: np.ndarray, *, gz: bool = False, magic: int | None = None):
    """An IDX file of uint8 ``array``; ``magic`` overrides the header's magic number."""
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | array.ndim
    data = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.tobytes()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def _images(n=5, rows=28, cols=28, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, rows, cols), dtype=np.uint8)


def _message(excinfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("gz", [False, True])
def test_round_trip(tmp_path, gz):
    images = _images(7)
    labels = np.array([0, 1, 2, 3, 4, 5, 9], dtype=np.uint8)
    ip = write_idx(tmp_path / "train-images-idx3-ubyte", images, gz=gz)
    lp = write_idx(tmp_path / "train-labels-idx1-ubyte", labels, gz=gz)
    got_images, got_labels = idx.read_pair(ip, lp)
    assert got_images.dtype == np.uint8 and got_images.shape == (7, 28, 28)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    got_images[0, 0, 0] = 1  # writable


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 12), gz=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_round_trip_any_count(n, gz, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        ip = write_idx(Path(folder) / "i", images, gz=gz)
        lp = write_idx(Path(folder) / "l", labels, gz=not gz)
        got_images, got_labels = idx.read_pair(ip, lp)
    assert got_images.tobytes() == images.tobytes() and got_images.shape == images.shape
    assert got_labels.tobytes() == labels.tobytes()


def test_gzip_is_detected_by_content_not_name(tmp_path):
    images = _images(2)
    # gzipped data without .gz, raw data with .gz
    a = write_idx(tmp_path / "t10k-images-idx3-ubyte", images, gz=True)
    b = write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, gz=False)
    np.testing.assert_array_equal(idx.read_images(a), images)
    np.testing.assert_array_equal(idx.read_images(b), images)


def test_empty_set_is_refused(tmp_path):
    p = write_idx(tmp_path / "x", np.zeros((0, 28, 28)))
    with pytest.raises(DataError, match="holds no images"):
        idx.read_images(p)


def test_header(tmp_path):
    p = write_idx(tmp_path / "x.gz", _images(3), gz=True)
    assert idx.read_header(p) == (0x803, (3, 28, 28))


@pytest.mark.parametrize("gz", [False, True])
def test_wrong_magic(tmp_path, gz):
    p = write_idx(tmp_path / "train-images-idx3-ubyte", _images(2), gz=gz, magic=0x00000801)
    with pytest.raises(DataError) as err:
        idx.read_images(p)
    msg = _message(err)
    assert str(p) in msg and "magic number 0x00000801, expected 0x00000803" in msg


def test_labels_file_given_as_images(tmp_path):
    p = write_idx(tmp_path / "labels", np.arange(5))
    with pytest.raises(DataError, match="not an IDX images file"):
        idx.read_images(p)


def test_labels_with_image_magic(tmp_path):
    p = write_idx(tmp_path / "train-labels-idx1-ubyte", _images(2))
    with pytest.raises(DataError) as err:
        idx.read_labels(p)
    assert "train-labels-idx1-ubyte: not an IDX labels file" in _message(err)


def test_not_idx_at_all(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_bytes(b"hello, world, this is not IDX")
    with pytest.raises(DataError) as err:
        idx.read_images(p)
    assert "notes.txt: not an IDX file" in _message(err)


def test_non_byte_type_is_rejected(tmp_path):
    p = write_idx(tmp_path / "floats", _images(1), magic=0x00000D03)
    with pytest.raises(DataError, match="floats: not an IDX images file"):
        idx.read_images(p)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_payload(tmp_path, gz):
    raw = tmp_path / "raw"
    write_idx(raw, _images(4))
    data = raw.read_bytes()[:-100]
    p = tmp_path / "t10k-images-idx3-ubyte"
    p.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DataError) as err:
        idx.read_images(p)
    msg = _message(err)
    assert str(p) in msg and "truncated" in msg and "3,136" in msg


def test_truncated_gzip_stream(tmp_path):
    p = write_idx(tmp_path / "train-images-idx3-ubyte.gz", _images(50), gz=True)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError) as err:
        idx.read_images(p)
    msg = _message(err)
    assert "train-images-idx3-ubyte.gz: truncated" in msg


def test_corrupt_gzip(tmp_path):
    p = tmp_path / "train-images-idx3-ubyte.gz"
    good = gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 5000)
    p.write_bytes(good[:20] + bytes(255 - b for b in good[20:]))
    with pytest.raises(DataError) as err:
        idx.read_images(p)
    msg = _message(err)
    assert "train-images-idx3-ubyte.gz:" in msg


def test_truncated_header(tmp_path):
    p = tmp_path / "short"
    p.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00")
    with pytest.raises(DataError, match="short: truncated IDX header"):
        idx.read_images(p)
    p.write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="short: too short"):
        idx.read_images(p)


@pytest.mark.parametrize("gz", [False, True])
def test_wrong_dimensions(tmp_path, gz):
    p = write_idx(tmp_path / "train-images-idx3-ubyte", _images(2, 32, 32), gz=gz)
    with pytest.raises(DataError) as err:
        idx.read_images(p)
    msg = _message(err)
    assert str(p) in msg and "32x32, expected 28x28" in msg


def test_trailing_bytes(tmp_path):
    p = write_idx(tmp_path / "labels", np.arange(5))
    p.write_bytes(p.read_bytes() + b"\x00\x01")
    with pytest.raises(DataError, match="labels: 2 bytes after the end of the labels"):
        idx.read_labels(p)


def test_label_out_of_range(tmp_path):
    p = write_idx(tmp_path / "labels", np.array([1, 2, 10, 3]))
    with pytest.raises(DataError, match="label 10 at index 2 is not a digit"):
        idx.read_labels(p)


def test_count_mismatch(tmp_path):
    ip = write_idx(tmp_path / "t10k-images-idx3-ubyte", _images(5))
    lp = write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(4), gz=True)
    with pytest.raises(DataError) as err:
        idx.read_pair(ip, lp)
    msg = _message(err)
    assert msg == f"{lp}: 4 labels but {ip} has 5 images"


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as err:
        idx.read_labels(tmp_path / "nope")
    assert _message(err) == f"{tmp_path / 'nope'}: no such file"


def test_find_file_and_set(tmp_path):
    assert idx.find_file(tmp_path, "train-images-idx3-ubyte") is None
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", _images(1), gz=True)
    assert idx.find_file(tmp_path, "train-images-idx3-ubyte").name.endswith(".gz")
    write_idx(tmp_path / "train-images-idx3-ubyte", _images(1))
    assert idx.find_file(tmp_path, "train-images-idx3-ubyte").name == "train-images-idx3-ubyte"
    assert idx.find_set(tmp_path) is None
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(1))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", _images(1), gz=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(1), gz=True)
    found = idx.find_set(tmp_path)
    assert set(found) == {"train_images", "train_labels", "test_images", "test_labels"}


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_test_split():
    images, labels = idx.read_pair(
        FASHION / "t10k-images-idx3-ubyte.gz", FASHION / "t10k-labels-idx1-ubyte.gz"
    )
    assert images.shape == (10_000, 28, 28) and labels.shape == (10_000,)
    assert np.bincount(labels).tolist() == [1000] * 10

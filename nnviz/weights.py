"""Saving and loading a network's parameters as .npz (named arrays, no pickle).

Saving goes through the atomic writer (nnviz.files): a reader never sees half a file and an
overwritten file keeps its permissions. Loading reads the archive member by member with
every size checked first, against the parameter it must become: a header that claims 10¹²
floats or a member that inflates without end (a zip bomb) is refused before memory is
taken, and so are arrays of strings or objects and values beyond the model's dtype.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from nnviz.errors import InputError, WeightsError
from nnviz.files import atomic_write
from nnviz.limits import MAX_FILE_BYTES, MAX_NPZ_MEMBERS, bound, file_size
from nnviz.npz import read_member


def check_save_path(path: str | Path) -> Path:
    """The folder a weights file goes to; an error before training when it cannot be used."""
    if not str(path).strip():
        raise WeightsError("--save: the file name is empty")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise WeightsError(f"{path}: folder {folder} does not exist")
    if path.is_dir():
        raise WeightsError(f"{path}: is a folder, not a file")
    return folder


def save_weights(path: str | Path, params: dict) -> None:
    """Write parameters to an .npz atomically."""
    check_save_path(path)
    try:
        with atomic_write(path) as fh:
            np.savez(fh, **params)
    except OSError as exc:
        raise WeightsError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, ref: np.ndarray, path: Path):
    """The array in one .npy member, checked against the parameter `ref` it must become."""
    name = info.filename[: -len(".npy")]

    def check(shape: tuple, fortran: bool, dtype: np.dtype) -> None:
        if dtype.kind not in "fiub":
            raise WeightsError(
                f"{path}: {name} holds {dtype} values, not numbers (a weights file holds "
                "floating-point arrays)"
            )
        if int(np.prod(shape, dtype=object)) != ref.size:
            raise WeightsError(f"{path}: {name} has shape {shape}, the model needs {ref.shape}")

    return read_member(zf, info, f"{path}: {name}", WeightsError, check)


def load_weights(path: str | Path, expected: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Parameters saved by save_weights, checked against `expected` (the model's own arrays:
    names, shapes, and the range of their dtype)."""
    if not str(path).strip():
        raise WeightsError("--load: the file name is empty")
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    file_size(path, MAX_FILE_BYTES, f"{path}", WeightsError)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            bound(len(infos), MAX_NPZ_MEMBERS, f"{path}: the number of arrays", WeightsError)
            members = {i.filename[:-4]: i for i in infos if i.filename.endswith(".npy")}
            if not members:
                raise WeightsError(f"{path}: no .npy arrays in it (not a weights file)")
            missing = sorted(set(expected) - set(members))
            if missing:
                raise WeightsError(f"{path}: no parameter '{missing[0]}'")
            loaded = {n: _read_member(zf, members[n], ref, path) for n, ref in expected.items()}
    except zipfile.BadZipFile as exc:
        raise WeightsError(f"{path}: not a weights file ({exc})") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise WeightsError(f"{path}: cannot read ({exc})") from None
    out = {}
    for name, ref in expected.items():
        arr = loaded[name]
        if arr.ndim == 2 and ref.ndim == 2 and arr.shape != ref.shape:
            raise WeightsError(f"{path}: {name} has shape {arr.shape}, the model needs {ref.shape}")
        values = arr.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise WeightsError(f"{path}: {name} holds NaN or infinity")
        check_range(values, ref.dtype, f"{path}: {name}", WeightsError)
        out[name] = values.reshape(ref.shape)
    return out


def check_range(values: np.ndarray, dtype, where: str, error: type[InputError]) -> None:
    """An error naming `where` when a value is beyond what `dtype` holds (it would become
    infinity, and training would stop at its first step for no visible reason)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or values.size == 0:
        return
    biggest = float(np.max(np.abs(values)))
    limit = float(np.finfo(dtype).max)
    if biggest > limit:
        raise error(f"{where}: value {biggest:.3g} is beyond the range of {dtype} (±{limit:.3g})")

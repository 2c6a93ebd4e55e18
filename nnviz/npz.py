"""One .npy member of a .npz archive, read without trusting it: the header first, then the
caller's checks of shape and dtype, then the size bound, then exactly the bytes it announced.
The record (nnviz.record) and the weights file (nnviz.weights) both read their arrays here."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import numpy as np

from nnviz.errors import InputError
from nnviz.limits import bound_bytes

HEADER_MAX = 1 << 16  # numpy's own limit on a header it reads without allow_pickle


def read_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    where: str,
    error: type[InputError],
    check: Callable[[tuple, bool, np.dtype], None],
    limit: int | None = None,
) -> np.ndarray:
    """The array in member `info`; `where` names it in messages, `check(shape, fortran,
    dtype)` raises `error` for an array the caller cannot use, `limit` bounds its bytes."""
    with zf.open(info) as fh:
        head = fh.read(HEADER_MAX + 16)
        stream = io.BytesIO(head)
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        except (ValueError, OSError, SyntaxError) as exc:
            raise error(f"{where} is not a .npy array ({exc})") from None
        check(tuple(shape), fortran, dtype)
        count = int(np.prod(shape, dtype=object))
        nbytes = count * dtype.itemsize
        if limit is not None:
            bound_bytes(nbytes, limit, where, error)
        body = head[stream.tell() :] + fh.read(max(nbytes - (len(head) - stream.tell()), 0))
        if len(body) < nbytes:
            raise error(f"{where} is truncated")
        if len(body) > nbytes or fh.read(1):
            raise error(f"{where} has data after its {count:,} values")
    order = "F" if fortran else "C"
    return np.frombuffer(body, dtype=dtype, count=count).reshape(shape, order=order)

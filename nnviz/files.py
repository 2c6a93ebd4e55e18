"""Writing a file atomically: the one writer nnviz uses for every file it creates.

The data go to a temporary file in the same folder, which is flushed, synced and renamed over
the target only when complete, so a reader (or a later run) never sees half a file. Whatever
ends the write early (an error, a full disk, Ctrl-C, SIGTERM turned into an exception by the
CLI) removes the temporary file. An existing target keeps its permission bits; a new file
gets the usual ones (0666 less the umask).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """Open a temporary file beside path for writing; on a clean exit it replaces path.

    OSError (no such folder, not writable, disk full) propagates after the temporary file is
    removed; so does any other exception, KeyboardInterrupt included.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

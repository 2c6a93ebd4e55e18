"""Writing a file atomically: the one writer nnviz uses for every file it creates.

The data go to a temporary file in the same folder, which is flushed, synced and renamed over
the target only when complete, so a reader (or a later run) never sees half a file. Whatever
ends the write early (an error, a full disk, Ctrl-C, SIGTERM turned into an exception by the
CLI) removes the temporary file. An existing target keeps its permission bits; a new file
gets the usual ones (0666 less the umask).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
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


# O_EXCL: a name someone else holds is never opened, let alone removed afterwards.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_NAME_ATTEMPTS = 100


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """Open a temporary file beside path for writing; on a clean exit it replaces path.

    OSError (no such folder, not writable, disk full) propagates after the temporary file is
    removed; so does any other exception, KeyboardInterrupt included.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp: Path | None = None
    try:
        # The name is chosen before the file is made, so an exception at any moment (a signal
        # turned into one arrives between any two statements) finds it in `tmp` and removes it;
        # tempfile.mkstemp creates the file before its caller learns the name.
        for _attempt in range(_NAME_ATTEMPTS):
            tmp = folder / f".{path.name}.{os.urandom(6).hex()}{suffix}"
            try:
                fd = os.open(tmp, _NEW_FILE, 0o600)
                break
            except FileExistsError:
                tmp = None
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise

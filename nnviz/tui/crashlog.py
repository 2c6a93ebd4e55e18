"""A training worker's unexpected exception: the traceback goes to a log file a developer can
find, the screen gets one line naming the file, and the app keeps running."""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from pathlib import Path

from nnviz.errors import InputError
from nnviz.files import atomic_write


def log_dir() -> Path:
    """$XDG_CACHE_HOME/nnviz/logs, or ~/.cache/nnviz/logs."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "nnviz" / "logs"


def write_traceback(exc: BaseException, what: str) -> Path:
    """Write exc's traceback to a new log file (atomically) and return its path; the user cache
    folder first, the temporary folder when that cannot be written."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{what.replace(' ', '-')}-{stamp}-{os.getpid()}.log"
    text = f"nnviz: {what} failed at {time.strftime('%Y-%m-%d %H:%M:%S')}\n\n"
    text += "".join(traceback.format_exception(exc))
    for folder in (log_dir(), Path(tempfile.gettempdir()) / "nnviz-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            with atomic_write(path) as f:
                f.write(text.encode("utf-8"))
            return path
        except OSError:
            continue
    raise OSError("no folder to write the traceback to")  # noqa: TRY003 (both refused)


def failure_message(exc: Exception, what: str = "training") -> str:
    """One line for the screen: an input error says what is wrong; anything else is a bug,
    whose traceback is logged (the line says where)."""
    if isinstance(exc, InputError):
        return f"{what} stopped: {' '.join(str(exc).split())}"
    brief = " ".join(str(exc).split()) or "no message"
    try:
        where = f"traceback in {write_traceback(exc, what)}"
    except OSError:
        where = "the traceback could not be written"
    return f"{what} failed: {type(exc).__name__}: {brief} ({where})"

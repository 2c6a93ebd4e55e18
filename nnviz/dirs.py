"""nnviz's user folders, from platformdirs: ~/.cache/nnviz on Linux (or $XDG_CACHE_HOME/nnviz),
~/Library/Caches/nnviz on macOS, %LOCALAPPDATA%\\nnviz\\Cache on Windows.

The one place that decides them: the kernel cache (nnviz.engine.jit) and the MNIST download
folder (nnviz.data.locations) are subfolders of `user_cache_root()`.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "nnviz"


def user_cache_root() -> Path:
    """The user cache folder of nnviz (not created)."""
    path = Path(platformdirs.user_cache_dir(APP, appauthor=False))
    if not path.is_absolute():
        # The XDG spec says a relative XDG_CACHE_HOME is invalid and ignored; platformdirs
        # releases before that fix returned it as given, relative to wherever nnviz runs.
        path = Path.home() / ".cache" / APP
    return path

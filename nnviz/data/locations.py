"""Where nnviz looks for full MNIST, and where ``nnviz data fetch`` puts it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nnviz.data import idx

ENV_VAR = "NNVIZ_DATA"


def cache_dir() -> Path:
    """The user cache folder for full MNIST: $XDG_CACHE_HOME/nnviz/mnist or ~/.cache/nnviz/mnist."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "nnviz" / "mnist"


@dataclass(frozen=True)
class Place:
    """One folder searched for the four MNIST files."""

    origin: str  # "--data-dir", "NNVIZ_DATA" or "cache"
    folder: Path
    files: dict[str, Path] | None  # by role, when all four are there

    @property
    def found(self) -> bool:
        return self.files is not None


def _folders(root: Path) -> list[Path]:
    # A data folder may hold the files itself or in an "mnist" subfolder.
    return [root, root / "mnist"]


def search(data_dir: str | os.PathLike | None = None) -> list[Place]:
    """Every folder searched, in order: data_dir, $NNVIZ_DATA, the cache folder."""
    roots: list[tuple[str, Path]] = []
    if data_dir:
        roots.append(("--data-dir", Path(data_dir).expanduser()))
    env = os.environ.get(ENV_VAR, "")
    if env:
        roots.append((ENV_VAR, Path(env).expanduser()))
    places = []
    for origin, root in roots:
        for folder in _folders(root):
            places.append(Place(origin, folder, idx.find_set(folder)))
    folder = cache_dir()
    places.append(Place("cache", folder, idx.find_set(folder)))
    return places


def find_full(data_dir: str | os.PathLike | None = None) -> Place | None:
    """The first place holding all four MNIST files, or None."""
    for place in search(data_dir):
        if place.found:
            return place
    return None

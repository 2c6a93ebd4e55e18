"""Where nnviz looks for full MNIST, and where ``nnviz data fetch`` puts it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nnviz.data import idx
from nnviz.data.errors import DataFolderError
from nnviz.dirs import user_cache_root

ENV_VAR = "NNVIZ_DATA"


def cache_dir() -> Path:
    """The user cache folder for full MNIST: <nnviz's user cache>/mnist (~/.cache/nnviz/mnist
    on Linux, or $XDG_CACHE_HOME/nnviz/mnist)."""
    return user_cache_root() / "mnist"


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


def named_folder(data_dir: str | os.PathLike | None = None) -> tuple[str, Path] | None:
    """(origin, folder) of the data folder the user named (--data-dir, else $NNVIZ_DATA)."""
    if data_dir is not None:
        if not str(data_dir).strip():
            raise DataFolderError("--data-dir: the folder name is empty")
        return "--data-dir", Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR, "")
    return (ENV_VAR, Path(env).expanduser()) if env else None


def _refusal(origin: str, root: Path) -> DataFolderError:
    """Why a named folder holds no MNIST set: missing, or which files it lacks."""
    shown = f"{origin} {root}"
    if not root.exists():
        return DataFolderError(f"{shown}: no such folder")
    if not root.is_dir():
        return DataFolderError(f"{shown}: not a folder")
    best: dict[str, Path] = {}
    for folder in _folders(root):
        found = idx.find_roles(folder) if folder.is_dir() else {}
        if len(found) > len(best):
            best = found
    missing = [role for role in idx.STANDARD_NAMES if role not in best]
    names = ", ".join(idx.STANDARD_NAMES[role] for role in missing)
    spellings = "each also as .gz, or with '.idx' for '-idx'"
    where = f"{root} or {root / 'mnist'}"
    if not best:
        return DataFolderError(
            f"{shown}: no MNIST-format files in {where}; looked for {names} ({spellings})"
        )
    return DataFolderError(
        f"{shown}: {len(best)} of the 4 MNIST files are in {where}; missing {names} ({spellings})"
    )


def find_full(data_dir: str | os.PathLike | None = None) -> Place | None:
    """The first place holding all four MNIST files, or None.

    A folder the user named (--data-dir or $NNVIZ_DATA) is used or refused: DataFolderError
    says what was looked for when it holds no complete set, rather than falling back."""
    named = named_folder(data_dir)
    if named is not None:
        origin, root = named
        for folder in _folders(root):
            files = idx.find_set(folder) if folder.is_dir() else None
            if files is not None:
                return Place(origin, folder, files)
        raise _refusal(origin, root)
    for place in search(data_dir):
        if place.found:
            return place
    return None

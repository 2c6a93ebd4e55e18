"""A scenario as a runnable PyTorch or Keras script: the way out when a student outgrows nnviz.

    from nnviz.export import export_script
    text = export_script(load_scenario("xor"), "pytorch")

The script builds the same network (a model class for PyTorch, a Sequential for Keras), starts
from the same weights, trains on the same mini-batches in the same order with the same
optimizer, loss and learning-rate schedule, and evaluates, so the losses it prints are nnviz's
to float rounding. What cannot be mapped exactly is refused with an ExportError naming it.

This package writes source text: it never imports torch or keras. Light on import (``nnviz
--help`` lists the export command): numpy and the engine load when a script is written.
"""

from __future__ import annotations

import os
from pathlib import Path

from nnviz.export.errors import ExportError
from nnviz.files import atomic_write

TARGETS = ("pytorch", "keras")


def export_script(
    scenario,
    target: str,
    *,
    data_dir: str | os.PathLike | None = None,
    weights: dict | None = None,
    weights_path: str | os.PathLike | None = None,
    command: str = "",
) -> str:
    """The script's source text for `scenario` (a nnviz.scenario.Scenario).

    weights: starting parameters by name (W1, b1, ...), e.g. read from `nnviz train --save`'s
    .npz at weights_path; without them the script starts from nnviz's init for the
    scenario's seed. command: the `nnviz train ...` line the script's numbers match.
    """
    if target not in TARGETS:
        raise ExportError(f"--to {target!r}: not one of {', '.join(TARGETS)}")
    from nnviz.export.plan import make_plan

    plan = make_plan(
        scenario, target, data_dir=data_dir, weights=weights, weights_path=weights_path,
        command=command,
    )  # fmt: skip
    if target == "pytorch":
        from nnviz.export.pytorch import render
    else:
        from nnviz.export.keras import render
    return render(plan)


def write_script(path: str | os.PathLike, text: str, *, force: bool = False) -> None:
    """Write `text` to `path` atomically (a reader never sees half a script); an existing
    file is replaced only with `force`."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"{path}: folder {folder} does not exist")
    if path.is_dir():
        raise ExportError(f"{path}: is a folder, not a file name")
    if path.exists() and not force:
        raise ExportError(f"{path}: already exists (pass --force to replace it)")
    try:
        with atomic_write(path) as fh:
            fh.write(text.encode("utf-8"))
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc.strerror or exc})") from None

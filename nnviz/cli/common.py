"""Pieces the subcommands share: the scenario argument, override options, weights files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from nnviz.cli import complete_scenario
from nnviz.errors import InputError


class WeightsError(InputError):
    """A weights file that cannot be used; the message names the file."""


def scenario_argument(required: bool = True):
    return click.argument(
        "scenario", required=required, shell_complete=complete_scenario, metavar="SCENARIO"
    )


def override_options(fn):
    """--epochs --lr --batch-size --optimizer --seed --dtype --data-dir."""
    from nnviz.engine.spec import DTYPES, OPTIMIZERS

    decorators = [
        click.option("--epochs", type=click.IntRange(min=1), help="Epochs to train."),
        click.option("--lr", type=click.FloatRange(min=0), help="Learning rate."),
        click.option(
            "--batch-size", type=click.IntRange(min=0), help="Mini-batch size (0 = full batch)."
        ),
        click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="Optimizer."),
        click.option("--seed", type=click.IntRange(min=0), help="Seed for init and shuffling."),
        click.option("--dtype", type=click.Choice(DTYPES), help="Floating-point type."),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False),
            envvar="NNVIZ_DATA",
            help="Folder of MNIST-format IDX files (also $NNVIZ_DATA).",
        ),
    ]
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def validation_option(fn):
    """--validation: the share of the training rows held out (training.validation)."""
    return click.option(
        "--validation",
        type=click.FloatRange(0, 1, max_open=True),
        help="Hold out this share of the training rows and validate on it every epoch.",
    )(fn)


def load_with_overrides(name, *, epochs=None, lr=None, batch_size=None, optimizer=None, seed=None,
                        dtype=None, validation=None):  # fmt: skip
    from nnviz.scenario import load_scenario

    scenario = load_scenario(name)
    return scenario.with_overrides(
        epochs=epochs, lr=lr, batch_size=batch_size, optimizer=optimizer, seed=seed, dtype=dtype,
        validation=validation,
    )  # fmt: skip


def save_weights(path: str | Path, params: dict) -> None:
    """Write parameters to an .npz atomically: a reader never sees half a file."""
    import numpy as np

    path = Path(path)
    folder = check_save_path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WeightsError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **params)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WeightsError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise


def check_save_path(path: str | Path) -> Path:
    """The folder a weights file goes to; an error before training when it does not exist."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise WeightsError(f"{path}: folder {folder} does not exist")
    return folder


def load_weights(path: str | Path, expected: dict) -> dict:
    """Read parameters saved by save_weights, checking names and shapes against `expected`."""
    import zipfile

    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    try:
        data = np.load(path, allow_pickle=False)
        if not hasattr(data, "files"):  # a lone .npy array, not an .npz of named parameters
            raise ValueError("one array, not an .npz archive of named parameters")
        with data:
            loaded = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise WeightsError(f"{path}: not a weights file ({exc})") from None
    missing = sorted(set(expected) - set(loaded))
    if missing:
        raise WeightsError(f"{path}: no parameter '{missing[0]}'")
    out = {}
    for name, ref in expected.items():
        arr = np.asarray(loaded[name], dtype=np.float64)
        if arr.size != ref.size or (arr.ndim == 2 and arr.shape != ref.shape):
            raise WeightsError(f"{path}: {name} has shape {arr.shape}, the model needs {ref.shape}")
        if not np.all(np.isfinite(arr)):
            raise WeightsError(f"{path}: {name} holds NaN or infinity")
        out[name] = arr.reshape(ref.shape)
    return out

"""Helpers for the export tests: write a script, run it, train nnviz the same way, compare."""

from __future__ import annotations

import contextlib
import io
import runpy
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz.export import export_script, write_script


@dataclass
class NnvizRun:
    epoch_losses: list[float]
    final_loss: float
    test_loss: float | None
    steps: int
    start: dict


def export_to(tmp_path: Path, sc, target: str, **kw) -> Path:
    path = tmp_path / f"{sc.name}_{target}.py"
    write_script(path, export_script(sc, target, **kw), force=True)
    return path


def run_script(path: Path) -> dict:
    """Execute an exported script as __main__ (its prints captured); returns its globals."""
    with contextlib.redirect_stdout(io.StringIO()):
        return runpy.run_path(str(path), run_name="__main__")


def nnviz_run(sc, *, data_dir=None, weights=None) -> NnvizRun:
    """Train `sc` as `nnviz train` does; per-epoch mean losses and the final evaluation."""
    from nnviz.session import build
    from nnviz.train import EpochsDone, Finished

    session = build(sc, data_dir=data_dir, threads=1)
    if weights:
        session.model.set_params(weights)
    start = session.model.params()
    losses, finished = [], None
    for event in session.trainer.run():
        if isinstance(event, EpochsDone):
            losses += [float(x) for x in event.losses]
        elif isinstance(event, Finished):
            finished = event
    assert finished is not None, "nnviz did not finish"
    return NnvizRun(losses, finished.final_loss, finished.test_loss, finished.steps, start)


def assert_matches(ran: dict, ref: NnvizRun, rtol: float) -> None:
    """Every epoch's loss, the final training loss and the test loss agree within rtol."""
    history = np.asarray(ran["history"], dtype=np.float64)
    assert history.shape == (len(ref.epoch_losses),)
    np.testing.assert_allclose(history, ref.epoch_losses, rtol=rtol, atol=0)
    np.testing.assert_allclose(ran["train_loss"], ref.final_loss, rtol=rtol, atol=0)
    if ref.test_loss is not None:
        np.testing.assert_allclose(ran["test_loss"], ref.test_loss, rtol=rtol, atol=0)


def scenario_text(
    *,
    data: str = 'kind = "moons"\nn = 48\nnoise = 0.2\nseed = 1\nn_test = 16',
    inputs: int | None = None,
    hidden: str = "tanh",
    width: int = 5,
    units: int = 1,
    out: str = "sigmoid",
    loss: str = "bce",
    l2: float = 0.0,
    l1: float = 0.0,
    optimizer: str = 'kind = "adam"\nlr = 0.05',
    training: str = "epochs = 2\nbatch_size = 16\nseed = 2",
) -> str:
    """A small scenario file: one hidden layer, a few steps."""
    inputs_line = f"inputs = {inputs}\n" if inputs else ""
    return f"""\
name = "case"

[data]
{data}

[model]
{inputs_line}layers = [
    {{ units = {width}, activation = "{hidden}" }},
    {{ units = {units}, activation = "{out}" }},
]
loss = "{loss}"
init = "glorot"
l2 = {l2}
l1 = {l1}

[optimizer]
{optimizer}

[training]
{training}
"""

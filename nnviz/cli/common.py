"""Pieces the subcommands share: the scenario argument, override options, weights files."""

from __future__ import annotations

from dataclasses import dataclass, fields

import click

from nnviz.cli import complete_scenario
from nnviz.errors import WeightsError  # noqa: F401  (where the CLI's callers found it)


def scenario_argument(required: bool = True):
    return click.argument(
        "scenario", required=required, shell_complete=complete_scenario, metavar="SCENARIO"
    )


def override_options(fn):
    """--epochs --lr --batch-size --optimizer --seed --dtype --data-dir."""
    from nnviz.engine.spec import DTYPES, OPTIMIZERS
    from nnviz.limits import MAX_EPOCHS, MAX_ROWS, MAX_SEED

    decorators = [
        click.option("--epochs", type=click.IntRange(1, MAX_EPOCHS), help="Epochs to train."),
        click.option("--lr", type=click.FloatRange(min=0), help="Learning rate."),
        click.option(
            "--batch-size",
            type=click.IntRange(0, MAX_ROWS),
            help="Mini-batch size (0 = full batch).",
        ),
        click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="Optimizer."),
        click.option(
            "--seed", type=click.IntRange(0, MAX_SEED), help="Seed for init and shuffling."
        ),
        click.option("--dtype", type=click.Choice(DTYPES), help="Floating-point type."),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False),
            help="Folder of MNIST-format IDX files (also $NNVIZ_DATA).",
        ),
    ]
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def load_option(fn):
    """--load: start from saved weights."""
    return click.option(
        "--load", type=click.Path(dir_okay=False), help="Start from saved weights (.npz)."
    )(fn)


@dataclass(frozen=True)
class Overrides:
    """What the command line changes in a scenario (override_options, --validation) and the
    weights to start from (--load): one object, so that `nnviz train` and `nnviz run` take the
    same options the same way."""

    epochs: int | None = None
    lr: float | None = None
    batch_size: int | None = None
    optimizer: str | None = None
    seed: int | None = None
    dtype: str | None = None
    validation: float | None = None
    data_dir: str | None = None
    load: str | None = None

    @classmethod
    def of(cls, options: dict) -> Overrides:
        """From a command's keyword arguments (the ones that are not overrides are left)."""
        return cls(**{f.name: options.get(f.name) for f in fields(cls)})

    def scenario_changes(self) -> dict:
        """The keys Scenario.with_overrides takes."""
        skip = ("data_dir", "load")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}

    def load_scenario(self, name):
        from nnviz.scenario import load_scenario

        return load_scenario(name).with_overrides(**self.scenario_changes())


def validation_option(fn):
    """--validation: the share of the training rows held out (training.validation)."""
    return click.option(
        "--validation",
        type=click.FloatRange(0, 1, max_open=True),
        help="Hold out this share of the training rows and validate on it every epoch.",
    )(fn)


def load_with_overrides(name, *, epochs=None, lr=None, batch_size=None, optimizer=None, seed=None,
                        dtype=None, validation=None):  # fmt: skip
    overrides = Overrides(epochs, lr, batch_size, optimizer, seed, dtype, validation)
    return overrides.load_scenario(name)

"""Pieces the subcommands share: the scenario argument, override options, weights files."""

from __future__ import annotations

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

"""`nnviz export`: a scenario as a runnable PyTorch or Keras script, the way out of nnviz."""

from __future__ import annotations

from pathlib import Path

import click

from nnviz.cli.common import load_with_overrides, override_options, scenario_argument
from nnviz.export import TARGETS
from nnviz.weights import load_weights


@click.command(short_help="Write a scenario as a PyTorch or Keras training script.")
@scenario_argument()
@click.option(
    "--to", "target", type=click.Choice(TARGETS), required=True, help="The library to write for."
)
@click.option(
    "--load",
    type=click.Path(dir_okay=False),
    help="Start from saved weights (.npz from nnviz train --save).",
)
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the script to FILE (default, or -: standard output).",
)
@click.option("--force", is_flag=True, help="Replace FILE when it exists.")
@override_options
def export(scenario, target, load, output, force, epochs, lr, batch_size, optimizer, seed, dtype,
           data_dir):  # fmt: skip
    """Write SCENARIO as a PyTorch or Keras script that trains the same network.

    Same layers, starting weights, mini-batches (in nnviz's order), optimizer, loss and
    schedule: the script's losses match `nnviz train SCENARIO` with the same overrides.

    \b
    Examples:
      nnviz export xor --to pytorch -o xor_torch.py
      nnviz export circles --to keras --epochs 50
      nnviz export mnist --to pytorch --load w.npz -o mnist_torch.py
    """
    from nnviz.export import export_script, write_script

    overrides = dict(epochs=epochs, lr=lr, batch_size=batch_size, optimizer=optimizer, seed=seed,
                     dtype=dtype)  # fmt: skip
    sc = load_with_overrides(scenario, **overrides)
    if output != "-":
        from nnviz.export import ExportError

        folder = Path(output).parent
        if not folder.is_dir():  # before the data loads, not after
            raise ExportError(f"{output}: folder {folder} does not exist")
        if Path(output).exists() and not force:
            raise ExportError(f"{output}: already exists (pass --force to replace it)")
    weights = None
    if load and sc.model is not None:  # an expression graph is refused by export_script
        weights = load_weights(load, _expected_shapes(sc, data_dir))
    text = export_script(
        sc, target, data_dir=data_dir, weights=weights, weights_path=load,
        command=_train_command(sc.name, overrides, data_dir, load),
    )  # fmt: skip
    if output == "-":
        click.echo(text, nl=False)
    else:
        write_script(output, text, force=force)
        click.echo(f"wrote {output} ({target}); run it with: python {output}", err=True)
    return 0


def _expected_shapes(sc, data_dir) -> dict:
    """Zero arrays of every parameter's shape, for load_weights to check a file against."""
    import numpy as np

    inputs = sc.model.inputs
    if inputs is None:
        loaded = sc.data.load(data_dir=data_dir)
        first = loaded[0][1] if isinstance(loaded, list) else loaded
        inputs = first.n_inputs
    # as the engine holds them (what `nnviz train --save` writes): b_k as one row (1, units)
    return {
        name: np.zeros(shape if len(shape) == 2 else (1, *shape))
        for name, shape in sc.model.weight_shapes(inputs)
    }


def _train_command(name, overrides, data_dir, load) -> str:
    """The `nnviz train` line whose numbers the script reproduces."""
    words = ["nnviz", "train", name]
    for key, value in overrides.items():
        if value is not None:
            words += [f"--{key.replace('_', '-')}", str(value)]
    if data_dir:
        words += ["--data-dir", str(data_dir)]
    if load:
        words += ["--load", str(load)]
    return " ".join(words)

"""`nnviz health`: each layer's gradient norm over training, its update/weight ratio and its
saturated or dead units (the numbers come from nnviz.health; this module lays them out)."""

from __future__ import annotations

import click

from nnviz.cli.common import override_options
from nnviz.cli.experiments import _console, _emit, _fmt, _load, _progress


@click.command(short_help="Per layer: gradient norms, update ratios, saturated or dead units.")
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO...")
@override_options
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Samples over the run (evenly spread epochs), besides the one at the start.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
def health(scenarios, epochs, lr, batch_size, optimizer, seed, dtype, data_dir, samples, as_json,
           quiet):  # fmt: skip
    """Train each SCENARIO and show its gradient health layer by layer: the norm of ∂L/∂W over
    training (log scale), the update/weight ratio ‖ΔW‖/‖W‖, and the share of saturated
    sigmoid/tanh units or of dead relu units. Several scenarios are shown one after another.

    \b
    Examples:
      nnviz health vanishing vanishing-relu
      nnviz health mnist --epochs 3 --json
      nnviz run vanishing --experiment health    (as charts in the explorer)
    """
    from nnviz.health import HealthSample, track
    from nnviz.session import build
    from nnviz.train import Diverged

    overrides = dict(epochs=epochs, lr=lr, batch_size=batch_size, optimizer=optimizer, seed=seed,
                     dtype=dtype)  # fmt: skip
    loaded = [_load(name, **overrides) for name in scenarios]  # every name checked first
    for sc in loaded:
        session = build(sc, data_dir=data_dir, chunk_seconds=0.2)
        taken, diverged = [], None
        with _progress(samples + 1, quiet, as_json) as step:
            for item in track(session, samples):
                if isinstance(item, Diverged):
                    diverged = item
                    break
                assert isinstance(item, HealthSample)
                taken.append(item)
                step(f"{sc.name} epoch {item.epoch}")
                if as_json:
                    _emit({
                        "event": "sample", "scenario": sc.name, "epoch": item.epoch,
                        "step": item.step, "loss": item.loss,
                        "layers": [layer.summary() for layer in item.layers],
                    })  # fmt: skip
        if as_json:
            last = taken[-1]
            _emit({
                "event": "health", "scenario": sc.name, "epochs": last.epoch,
                "samples": len(taken), "diverged": diverged.message if diverged else None,
                # ‖∂L/∂W₁‖ / ‖∂L/∂W_last‖ at the first and the last sample
                "depth_ratio_start": _depth_ratio(taken[0]),
                "depth_ratio_end": _depth_ratio(last),
            })  # fmt: skip
            continue
        _print_health(sc, taken, diverged)
    return 0


def _depth_ratio(sample) -> float | None:
    """‖∂L/∂W₁‖ / ‖∂L/∂W_last‖: how much of the gradient reaches the first layer."""
    first, last = sample.layers[0].grad_norm, sample.layers[-1].grad_norm
    return first / last if last > 0 else None


def _share(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _print_health(sc, samples, diverged) -> None:
    from rich.table import Table

    from nnviz.cli.plot import sparkline, value_bounds

    console = _console()
    first, last = samples[0], samples[-1]
    every = [layer.grad_norm for s in samples for layer in s.layers]
    bounds = value_bounds(every)
    table = Table(title=f"nnviz health {sc.name}: epochs 0 → {last.epoch}, "
                        f"{len(samples)} samples")  # fmt: skip
    columns = ["layer", "units", "‖∂L/∂W‖ start", "‖∂L/∂W‖ end", "over training (log, shared)",
               "‖ΔW‖/‖W‖ end", "saturated", "dead"]  # fmt: skip
    for col in columns:
        table.add_column(col, justify="left" if col.startswith(("layer", "over")) else "right")
    for k, layer in enumerate(last.layers):
        curve = sparkline([s.layers[k].grad_norm for s in samples], width=len(samples),
                          bounds=bounds)  # fmt: skip
        table.add_row(
            f"{layer.layer} {layer.activation}", str(layer.units),
            _fmt(first.layers[k].grad_norm), _fmt(layer.grad_norm), curve,
            _fmt(layer.update_ratio), _share(layer.saturated_share), _share(layer.dead_share),
        )  # fmt: skip
    console.print(table)
    ratio = _depth_ratio(first)
    if ratio is not None:
        console.print(f"at the start the first layer gets {ratio:.3g} × the last layer's "
                      "gradient norm", highlight=False)  # fmt: skip
    if last.loss is not None:
        console.print(f"training loss of the last epoch: {last.loss:.4g}", highlight=False)
    if diverged is not None:
        console.print(diverged.message)

"""The experiments screen's text: the race's loss curves with their legend, the sweep's final
losses against the swept value with the best marked, and each layer's gradient health over
training. Functions from the engine's result objects (nnviz.experiments.Run,
nnviz.health.HealthSample) to rich Text; every number shown is one of theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.text import Text

from nnviz.experiments import Run, best_run
from nnviz.health import HealthSample
from nnviz.tui import fmt
from nnviz.tui.widgets.charts import Series, chart_text, legend_text


def _num(x, digits: int = 4) -> str:
    return "—" if x is None else fmt.num(x, digits)


def _curve(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], np.float64)


# ---------------------------------------------------------------- race
def race_note(run: Run) -> str:
    """What the legend says of a run: its final numbers, as the run has them."""
    if run.diverged is not None:
        return f"diverged after {len(run.losses)} epochs"
    parts = [f"final loss {_num(run.final_loss)}"]
    if run.train_accuracy is not None:
        parts.append(f"acc {_num(run.train_accuracy, 3)}")
    held = ("val", run.val_loss) if run.val_loss is not None else ("test", run.test_loss)
    if held[1] is not None:
        parts.append(f"{held[0]} {_num(held[1])}")
    if run.target_epoch is not None:
        parts.append(f"target at epoch {run.target_epoch}")
    parts.append(f"{run.train_s:.2g} s")
    return " · ".join(parts)


def race_legend(runs: Sequence[Run]) -> list[tuple[int, str, str]]:
    """(series number, label, note) per run; the best run's note ends with ◀ lowest."""
    best = best_run(runs) if len(runs) > 1 else None
    return [
        (k, run.label, race_note(run) + (f" ◀ lowest {_score_name(run)}" if run is best else ""))
        for k, run in enumerate(runs)
    ]


def race_series(runs: Sequence[Run]) -> list[Series]:
    """Each run's training loss per epoch (epoch 1, 2, …)."""
    return [
        Series(run.label, np.arange(1, len(run.losses) + 1, dtype=np.float64), run.losses)
        for run in runs
    ]


def race_text(
    runs: Sequence[Run], total: int, width: int, height: int, ascii_mode: bool = False
) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    if not runs:
        out.append(f"training the first of {total} runs…\n", style="dim")
        return out
    epochs = max(len(r.losses) for r in runs)
    out.append(f"Training loss (log) per epoch · {len(runs)}/{total} runs · {epochs} epochs · "
               "same start and batch order\n", style="bold")  # fmt: skip
    out.append_text(
        chart_text(
            race_series(runs), width, height, log_y=True, ascii_mode=ascii_mode,
            x_format=lambda v: f"epoch {v:.0f}",
        )
    )  # fmt: skip
    out.append_text(legend_text(race_legend(runs), width, ascii_mode))
    return out


def _score_name(run: Run) -> str:
    if run.val_loss is not None:
        return "validation"
    return "test" if run.test_loss is not None else "training"


# ---------------------------------------------------------------- sweep
def sweep_series(param: str, runs: Sequence[Run]) -> list[Series]:
    """Final training loss, and the held-out loss (validation, else test) if there is one,
    against the swept value; a diverged run has no point."""
    xs = np.array([float(getattr(r.setting, param)) for r in runs])
    train = _curve([None if r.diverged else r.final_loss for r in runs])
    out = [Series("final training loss", xs, train)]
    held = _held_name(runs)
    if held is not None:
        values = [None if r.diverged else getattr(r, f"{held}_loss") for r in runs]
        name = "validation" if held == "val" else "test"
        out.append(Series(f"final {name} loss", xs, _curve(values)))
    return out


def _held_name(runs: Sequence[Run]) -> str | None:
    if any(r.val_loss is not None for r in runs):
        return "val"
    if any(r.test_loss is not None for r in runs):
        return "test"
    return None


def sweep_best(param: str, runs: Sequence[Run]) -> tuple[float, float] | None:
    """(swept value, score) of the best run (nnviz.experiments.best_run's choice)."""
    best = best_run(runs)
    return None if best is None else (float(getattr(best.setting, param)), float(best.score))


def sweep_text(
    param: str, runs: Sequence[Run], total: int, width: int, height: int, ascii_mode=False
) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    if not runs:
        out.append(f"training the first of {total} runs…\n", style="dim")
        return out
    series = sweep_series(param, runs)
    best = sweep_best(param, runs)
    axis = "log axis" if param == "lr" else "axis as given"
    out.append(f"Final loss (log scale) against {param} ({axis}), {len(runs)} of {total} "
               "runs\n", style="bold")  # fmt: skip
    out.append_text(
        chart_text(
            series, width, height, log_x=param == "lr", log_y=True, ascii_mode=ascii_mode,
            x_format=lambda v: f"{param} {fmt.num(v, 3)}", mark=best,
        )
    )  # fmt: skip
    entries = [(k, s.label, "") for k, s in enumerate(series)]
    out.append_text(legend_text(entries, width, ascii_mode))
    if best is not None:
        run = best_run(runs)
        mark = "^" if ascii_mode else "▲"
        out.append(f" {mark} best {param} = {fmt.num(best[0], 4)}: lowest final "
                   f"{_score_name(run)} loss {_num(best[1])}\n", style="bold green")  # fmt: skip
    held = _held_name(runs)
    accuracy = any(r.train_accuracy is not None for r in runs)  # none for regression
    head = f"{param:>9} {'train loss':>11}" + (f" {'train acc':>9}" if accuracy else "")
    if held:
        head += f" {held + ' loss':>10}" + (f" {held + ' acc':>8}" if accuracy else "")
    out.append(head + "\n", style="bold underline")
    chosen = best_run(runs)
    for r in runs:
        line = f"{fmt.num(getattr(r.setting, param), 4):>9} "
        if r.diverged:
            line += f"{'diverged':>11}"
        else:
            line += f"{_num(r.final_loss):>11}"
            line += f" {_num(r.train_accuracy, 3):>9}" if accuracy else ""
            if held:
                line += f" {_num(getattr(r, f'{held}_loss')):>10}"
                line += f" {_num(getattr(r, f'{held}_accuracy'), 3):>8}" if accuracy else ""
        out.append(line)
        out.append(" ◀ best\n" if r is chosen else "\n", style="bold green")
    return out


# ---------------------------------------------------------------- gradient health
def _layer_label(layer) -> str:
    return f"{fmt.sub(f'W{layer.layer}')} {layer.activation}"


def health_series(samples: Sequence[HealthSample], what: str) -> list[Series]:
    """Per layer, `what` (grad_norm or update_ratio) at each sample, against its epoch."""
    epochs = np.array([s.epoch for s in samples], np.float64)
    return [
        Series(_layer_label(layer), epochs, np.array([getattr(s.layers[k], what) for s in samples]))
        for k, layer in enumerate(samples[0].layers)
    ]


def _share(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def health_text(
    samples: Sequence[HealthSample],
    width: int,
    height: int,
    ascii_mode: bool = False,
    *,
    epochs: int = 0,
    diverged: str | None = None,
) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    if not samples:
        out.append("measuring at the start…\n", style="dim")
        return out
    first, last = samples[0], samples[-1]
    out.append(f"Gradient norm ‖∂L/∂W‖ per layer over training (log), epoch {last.epoch} of "
               f"{epochs}\n", style="bold")  # fmt: skip
    x_format = lambda v: f"epoch {v:.0f}"  # noqa: E731 (two charts share it)
    grads = health_series(samples, "grad_norm")
    out.append_text(chart_text(grads, width, height, log_y=True, ascii_mode=ascii_mode,
                               x_format=x_format))  # fmt: skip
    entries = [
        (k, s.label, f"{_num(first.layers[k].grad_norm, 3)} → {_num(last.layers[k].grad_norm, 3)}")
        for k, s in enumerate(grads)
    ]
    out.append_text(legend_text(entries, width, ascii_mode))
    top, bottom = first.layers[0].grad_norm, first.layers[-1].grad_norm
    if bottom > 0:
        out.append(f"at the start W₁ gets {fmt.num(top / bottom, 3)} × the last layer's "
                   "gradient norm\n", style="dim")  # fmt: skip
    out.append("Update/weight ratio ‖ΔW‖/‖W‖ per layer (log; about 1e-3 is healthy)\n",
               style="bold")  # fmt: skip
    ratios = health_series(samples, "update_ratio")
    out.append_text(chart_text(ratios, width, max(height // 2, 3), log_y=True,
                               ascii_mode=ascii_mode, x_format=x_format))  # fmt: skip
    out.append(f"Units, at the start → at epoch {last.epoch}\n", style="bold")
    out.append(f"{'layer':<12} {'units':>5} {'saturated':>11} {'dead':>11} {'‖ΔW‖/‖W‖':>9}\n",
               style="bold underline")  # fmt: skip
    for k, layer in enumerate(last.layers):
        start = first.layers[k]
        sat = f"{_share(start.saturated_share)} → {_share(layer.saturated_share)}"
        dead = f"{_share(start.dead_share)} → {_share(layer.dead_share)}"
        if layer.saturated_share is None:
            sat = "—"
        if layer.dead_share is None:
            dead = "—"
        out.append(f"{_layer_label(layer):<12} {layer.units:>5} {sat:>11} {dead:>11} "
                   f"{_num(layer.update_ratio, 3):>9}\n")  # fmt: skip
    out.append("saturated: σ′ or tanh′ below a tenth of its peak on 90% of the probe rows; "
               "dead: a relu unit at 0 on every probe row\n", style="dim")  # fmt: skip
    if last.loss is not None:
        out.append(f"training loss of the last epoch: {_num(last.loss)}\n")
    if diverged:
        out.append(diverged + "\n", style="bold red")
    return out

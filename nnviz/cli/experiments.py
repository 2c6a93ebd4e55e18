"""`nnviz race`, `nnviz sweep` and `nnviz cv`: the course's experiments as commands (the
numbers come from nnviz.experiments; this module lays them out)."""

from __future__ import annotations

import sys

import click

from nnviz.cli.common import scenario_argument, validation_option

# nnviz.experiments.DEFAULT_OPTIMIZERS, written out: --help does not import the engine
DEFAULT_RACE = "sgd,momentum,rmsprop,adam"


def run_options(fn):
    """--epochs --seed --dtype --data-dir --validation --threads --json --quiet."""
    from nnviz.engine.spec import DTYPES

    decorators = [
        click.option("--epochs", type=click.IntRange(min=1), help="Epochs to train each run."),
        click.option("--seed", type=click.IntRange(min=0), help="Seed for init and shuffling."),
        click.option("--dtype", type=click.Choice(DTYPES), help="Floating-point type."),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False),
            envvar="NNVIZ_DATA",
            help="Folder of MNIST-format IDX files (also $NNVIZ_DATA).",
        ),
        validation_option,
        click.option("--threads", type=click.IntRange(1, 2), default=None,
                     help="1 or 2 threads per run (default: as nnviz train chooses)."),
        click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout."),
        click.option("--quiet", "-q", is_flag=True, help="No progress line."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def _load(name, **overrides):
    from nnviz.cli.common import load_with_overrides

    sc = load_with_overrides(name, **overrides)
    if sc.model is None:
        raise click.UsageError(f"scenario '{sc.name}' is an expression graph: nothing to train")
    return sc


def _float_list(option: str, text: str | None) -> list[float]:
    if text is None:
        return []
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise click.BadParameter(f"expected numbers separated by commas, got {part.strip()!r}",
                                     param_hint=option) from None  # fmt: skip
        if not value >= 0:
            raise click.BadParameter(f"{value} is below 0", param_hint=option)
        out.append(value)
    return out


def _names(option: str, text: str, allowed) -> list[str]:
    names = [p.strip() for p in text.split(",") if p.strip()]
    for name in names:
        if name not in allowed:
            raise click.BadParameter(f"'{name}' is not one of {', '.join(allowed)}",
                                     param_hint=option)  # fmt: skip
    return names


def _runs(sc, settings, *, target_loss=None, data_dir=None, threads=None, quiet=False,
          as_json=False):  # fmt: skip
    """The runs, one by one, with a progress line on a terminal."""
    from nnviz.experiments import run_settings

    runs = []
    with _progress(len(settings), quiet, as_json) as step:
        for run in run_settings(sc, settings, target_loss=target_loss, data_dir=data_dir,
                                threads=threads):  # fmt: skip
            runs.append(run)
            step(run.label)
            yield run


class _progress:
    """A transient progress bar on stderr when it is a terminal (a no-op otherwise)."""

    def __init__(self, total: int, quiet: bool, as_json: bool):
        self.total = total
        self.show = not quiet and not as_json and sys.stderr.isatty()
        self.bar = None

    def __enter__(self):
        if self.show:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                MofNCompleteColumn(), console=Console(stderr=True),
                                transient=True)  # fmt: skip
            self.bar.start()
            self.task = self.bar.add_task("training", total=self.total)
        return self.step

    def step(self, label: str) -> None:
        if self.bar:
            self.bar.update(self.task, advance=1, description=f"done: {label}")

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()
        return False


def _console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # a pipe or a file has no screen to fit: never cut a number
        console.width = max(console.width, 160)
    return console


def _fmt(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _emit(obj: dict) -> None:
    """One JSON line: `event` names it; the rest are its fields."""
    from nnviz.cli.jsonl import emit

    fields = dict(obj)
    emit(fields.pop("event"), fields)


# ---------------------------------------------------------------- race
@click.command(short_help="Race optimizers from the same weights and batch order.")
@scenario_argument()
@click.option(
    "--optimizers",
    default=DEFAULT_RACE,
    show_default=True,
    help="Optimizers to race, separated by commas.",
)
@click.option(
    "--lr",
    "lrs",
    metavar="LR[,LR…]",
    help="Learning rates (default: the scenario's); every optimizer runs at every "
    "rate unless --zip.",
)
@click.option(
    "--zip",
    "zipped",
    is_flag=True,
    help="Pair optimizer i with rate i instead of trying every pair.",
)
@click.option(
    "--target-loss",
    type=click.FloatRange(min=0),
    help="Report the first epoch whose training loss is at or below this.",
)
@click.option("--batch-size", type=click.IntRange(min=0), help="Mini-batch size (0 = full batch).")
@run_options
def race(scenario, optimizers, lrs, zipped, target_loss, batch_size, epochs, seed, dtype, data_dir,
         validation, threads, as_json, quiet):  # fmt: skip
    """Train SCENARIO once per optimizer (and learning rate) from the same starting weights and
    batch order, and compare.

    \b
    Examples:
      nnviz race xor
      nnviz race circles --optimizers sgd,adam --lr 0.1,0.01 --target-loss 0.3
      nnviz race moons --optimizers sgd,adam --lr 0.5,0.03 --zip --json
      nnviz run xor --experiment race    (the default race as curves and regions)
    """
    from nnviz.engine.spec import OPTIMIZERS
    from nnviz.experiments import race_settings

    kinds = _names("--optimizers", optimizers, OPTIMIZERS)
    sc = _load(scenario, epochs=epochs, seed=seed, dtype=dtype, batch_size=batch_size,
               validation=validation)  # fmt: skip
    settings = race_settings(sc, kinds, _float_list("--lr", lrs), zipped)
    runs = []
    for run in _runs(sc, settings, target_loss=target_loss, data_dir=data_dir, threads=threads,
                     quiet=quiet, as_json=as_json):  # fmt: skip
        runs.append(run)
        if as_json:
            _emit({"event": "run", "scenario": sc.name, **run.summary(), **run.curves()})
    if as_json:
        _emit({"event": "race", "scenario": sc.name, **_race_summary(runs, target_loss)})
        return 0
    _print_race(sc, runs, target_loss)
    return 0


def _race_summary(runs, target_loss) -> dict:
    from nnviz.experiments import best_run

    best = best_run(runs)
    reached = [r for r in runs if r.target_epoch is not None]
    first = min(reached, key=lambda r: r.target_epoch) if reached else None
    return {
        "runs": len(runs),
        "best": best.label if best else None,
        "target_loss": target_loss,
        "first_to_target": first.label if first else None,
        "train_s": sum(r.train_s for r in runs),
        "wall_s": sum(r.wall_s for r in runs),
    }


def _print_race(sc, runs, target_loss) -> None:
    from rich.table import Table

    from nnviz.cli.plot import sparkline, value_bounds

    console = _console()
    has_val = any(r.val_loss is not None for r in runs)
    has_test = any(r.test_loss is not None for r in runs)
    every = [v for r in runs for v in r.losses]
    bounds = value_bounds(every)
    table = Table(title=f"nnviz race {sc.name}: {len(runs[0].losses) if runs else 0} epochs, "
                        f"seed {sc.training.seed}")  # fmt: skip
    columns = ["run", "final loss", "train acc"]
    columns += ["val loss", "val acc"] if has_val else []
    columns += ["test loss", "test acc"] if has_test else []
    columns += [f"epoch ≤ {target_loss:g}"] if target_loss is not None else []
    columns += ["train s", "wall s", "training loss (log)"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("run", columns[-1]) else "right",
                         overflow="fold")  # fmt: skip
    for r in runs:
        if r.diverged:
            cells = [r.label, "diverged"] + ["—"] * (len(columns) - 4)
            table.add_row(*cells, _fmt(r.wall_s), sparkline(list(r.losses), bounds=bounds))
            continue
        cells = [r.label, _fmt(r.final_loss), _fmt(r.train_accuracy)]
        cells += [_fmt(r.val_loss), _fmt(r.val_accuracy)] if has_val else []
        cells += [_fmt(r.test_loss), _fmt(r.test_accuracy)] if has_test else []
        if target_loss is not None:
            cells.append(_fmt(r.target_epoch) if r.target_epoch else "not reached")
        cells += [_fmt(r.train_s), _fmt(r.wall_s), sparkline(list(r.losses), bounds=bounds)]
        table.add_row(*cells)
    console.print(table)
    summary = _race_summary(runs, target_loss)
    if runs and runs[0].compile_s >= 1.0:
        console.print(f"(the first run's wall time includes {runs[0].compile_s:.1f} s of "
                      "compiling the kernels)")  # fmt: skip
    if summary["best"]:
        by = "validation" if has_val else ("test" if has_test else "training")
        console.print(f"lowest final {by} loss: {summary['best']}")
    for r in runs:
        if r.diverged:
            console.print(f"{r.label}: {r.diverged}")


# ---------------------------------------------------------------- sweep
@click.command(short_help="Final losses against one swept setting, the best marked.")
@scenario_argument()
@click.option(
    "--lr", metavar="LOW:HIGH|A,B,…", help="Learning rates: a log-spaced range or a list."
)
@click.option(
    "--batch-size",
    metavar="LOW:HIGH|A,B,…",
    help="Mini-batch sizes: a log-spaced range (rounded) or a list.",
)
@click.option(
    "--units",
    metavar="LOW:HIGH|A,B,…",
    help="Width of every hidden layer: a log-spaced range (rounded) or a list.",
)
@click.option(
    "--points", type=click.IntRange(min=2), help="Values in a LOW:HIGH range [default: 13]."
)
@click.option(
    "--optimizer",
    type=click.Choice(("sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad")),
    help="Optimizer of every run.",
)
@run_options
def sweep(scenario, lr, batch_size, units, points, optimizer, epochs, seed, dtype, data_dir,
          validation, threads, as_json, quiet):  # fmt: skip
    """Train SCENARIO once per value of one setting and show the final losses against it.

    \b
    Examples:
      nnviz sweep circles --lr 1e-4:1 --points 13
      nnviz sweep moons --units 1,2,4,8,16 --validation 0.2
      nnviz sweep circles --batch-size 1:400 --points 6 --json
      nnviz run circles --experiment sweep    (the lr sweep as a curve)
    """
    from nnviz.experiments import sweep_settings, sweep_values

    given = {"lr": lr, "batch_size": batch_size, "units": units}
    chosen = [(name, text) for name, text in given.items() if text is not None]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --lr, --batch-size or --units to sweep")
    param, text = chosen[0]
    values = sweep_values(param, text, points)
    sc = _load(scenario, epochs=epochs, seed=seed, dtype=dtype, optimizer=optimizer,
               validation=validation)  # fmt: skip
    settings = sweep_settings(param, values)
    runs = []
    for run in _runs(sc, settings, data_dir=data_dir, threads=threads, quiet=quiet,
                     as_json=as_json):  # fmt: skip
        runs.append(run)
        if as_json:
            value = getattr(run.setting, param)
            _emit({"event": "point", "scenario": sc.name, "param": param, "value": value,
                   **run.summary(), **run.curves()})  # fmt: skip
    from nnviz.experiments import best_run

    best = best_run(runs)
    if as_json:
        _emit({"event": "sweep", "scenario": sc.name, "param": param, "points": len(runs),
               "best_value": getattr(best.setting, param) if best else None,
               "best_score": best.score if best else None,
               "wall_s": sum(r.wall_s for r in runs)})  # fmt: skip
        return 0
    _print_sweep(sc, param, runs, best)
    return 0


def _print_sweep(sc, param, runs, best) -> None:
    from rich.table import Table

    from nnviz.cli.plot import curve

    console = _console()
    has_val = any(r.val_loss is not None for r in runs)
    has_test = any(r.test_loss is not None for r in runs)
    held = "val" if has_val else ("test" if has_test else None)
    table = Table(title=f"nnviz sweep {sc.name}: {param}, {len(runs[0].losses)} epochs each")
    columns = [param, "train loss", "train acc"]
    if held:
        columns += [f"{held} loss", f"{held} acc"]
    columns += ["train s", ""]
    for col in columns:
        table.add_column(col, justify="right")
    for r in runs:
        value = _fmt(getattr(r.setting, param))
        mark = "◀ best" if r is best else ""
        if r.diverged:
            table.add_row(value, "diverged", *(["—"] * (len(columns) - 4)), _fmt(r.train_s), "")
            continue
        cells = [value, _fmt(r.final_loss), _fmt(r.train_accuracy)]
        if held:
            cells += [_fmt(getattr(r, f"{held}_loss")), _fmt(getattr(r, f"{held}_accuracy"))]
        table.add_row(*cells, _fmt(r.train_s), mark)
    console.print(table)
    xs = [_fmt(getattr(r.setting, param)) for r in runs]
    series = {"·": [r.final_loss for r in runs]}
    if held:
        series["o"] = [getattr(r, f"{held}_loss") for r in runs]
    mark = runs.index(best) if best else None
    scale = "log-spaced" if param == "lr" else "as given"
    legend = "· training loss" + (f", o {held} loss" if held else "") + ", ▲ best"
    console.print(f"final loss (log scale) against {param} ({scale}): {legend}", highlight=False)
    for line in curve(xs, series, mark=mark):
        console.print(line, highlight=False)
    if best:
        by = {"val": "validation", "test": "test", None: "training"}[held]
        console.print(f"best {param}: {_fmt(getattr(best.setting, param))} "
                      f"(lowest final {by} loss, {best.score:.4g})")  # fmt: skip


# ---------------------------------------------------------------- cv
@click.command(short_help="k-fold cross validation: accuracy per fold, mean ± sd.")
@scenario_argument()
@click.option(
    "--folds",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    help="Folds of k-fold cross validation.",
)
@click.option("--lr", type=click.FloatRange(min=0), help="Learning rate.")
@click.option(
    "--optimizer",
    type=click.Choice(("sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad")),
    help="Optimizer.",
)
@click.option("--batch-size", type=click.IntRange(min=0), help="Mini-batch size (0 = full batch).")
@run_options
def cv(scenario, folds, lr, optimizer, batch_size, epochs, seed, dtype, data_dir, validation,
       threads, as_json, quiet):  # fmt: skip
    """k-fold cross validation of SCENARIO: its training rows shuffled (with the seed) into
    FOLDS parts; each part is the test set of a network trained on the others.

    \b
    Examples:
      nnviz cv moons
      nnviz cv mnist --folds 5 --epochs 5
    """
    from nnviz.experiments import cross_validate, fold_statistics

    if validation:
        raise click.UsageError("--validation: cross validation holds out its folds instead")
    sc = _load(scenario, epochs=epochs, seed=seed, dtype=dtype, lr=lr, optimizer=optimizer,
               batch_size=batch_size)  # fmt: skip
    results = []
    with _progress(folds, quiet, as_json) as step:
        for fold in cross_validate(sc, folds, data_dir=data_dir, threads=threads):
            results.append(fold)
            step(f"fold {fold.index}")
            if as_json:
                _emit({"event": "fold", "scenario": sc.name, **fold.summary()})
    stats = fold_statistics(results)
    if as_json:
        _emit({"event": "cv", "scenario": sc.name, "seed": sc.training.seed, **stats})
        return 0
    _print_cv(sc, results, stats)
    return 0


def _print_cv(sc, folds, stats) -> None:
    from rich.table import Table

    console = _console()
    regression = all(f.accuracy is None for f in folds)
    table = Table(title=f"nnviz cv {sc.name}: {len(folds)} folds, "
                        f"{sc.training.epochs} epochs each, seed {sc.training.seed}")  # fmt: skip
    columns = ["fold", "train rows", "test rows", "test loss"]
    columns += [] if regression else ["test acc"]
    columns += ["train loss", "train s"]
    for col in columns:
        table.add_column(col, justify="right")
    for f in folds:
        if f.diverged:
            table.add_row(str(f.index), str(f.train_rows), str(f.test_rows), "diverged",
                          *(["—"] * (len(columns) - 5)), _fmt(f.train_s))  # fmt: skip
            continue
        cells = [str(f.index), str(f.train_rows), str(f.test_rows), _fmt(f.loss)]
        cells += [] if regression else [_fmt(f.accuracy)]
        table.add_row(*cells, _fmt(f.train_loss), _fmt(f.train_s))
    console.print(table)
    if not regression and stats["mean_accuracy"] is not None:
        console.print(f"accuracy: {stats['mean_accuracy']:.4f} ± {stats['sd_accuracy']:.4f} "
                      f"(mean ± sd over {len(folds)} folds)", highlight=False)  # fmt: skip
    if stats["mean_loss"] is not None:
        console.print(f"test loss: {stats['mean_loss']:.4g} ± {stats['sd_loss']:.4g}",
                      highlight=False)  # fmt: skip
    for f in folds:
        if f.diverged:
            console.print(f"fold {f.index}: {f.diverged}")

"""`nnviz train`: headless training with a progress bar, a result table, JSON lines and a
benchmark mode (compile time reported apart from steady-state throughput)."""

from __future__ import annotations

import sys
import time

import click

from nnviz.cli.common import (
    Overrides,
    load_option,
    override_options,
    scenario_argument,
    validation_option,
)
from nnviz.cli.jsonl import emit

# --bench times an epoch of at least this many batches on its own (epoch_s in --json).
EPOCH_TIMING_MIN_BATCHES = 100


@click.command(short_help="Train a scenario headless; --bench times it.")
@scenario_argument(required=False)
@override_options
@validation_option
@click.option("--bench", is_flag=True, help="Time the run; no SCENARIO: the whole suite.")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON lines on stdout: epoch events, then trained."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--save", type=click.Path(dir_okay=False), help="Write the trained weights (.npz).")
@load_option
@click.option(
    "--record",
    type=click.Path(dir_okay=False),
    help="Write the run (scenario, seeds, every step's parameters and optimizer state or "
    "keyframes, per-epoch metrics) to this .npz file, for nnviz run --replay and nnviz "
    "trace --replay.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 2),
    default=None,
    help="1, or 2 to share each step's big GEMMs, update and batch copy with a helper thread, "
    "while that is faster than one (default: 2 when the network is big enough and there are "
    "two cores).",
)
def train(scenario, epochs, lr, batch_size, optimizer, seed, dtype, data_dir, validation, bench,
          as_json, quiet, save, load, record, threads):  # fmt: skip
    """Train SCENARIO headless and print the result.

    \b
    Examples:
      nnviz train xor
      nnviz train mnist --epochs 5 --json
      nnviz train moons --validation 0.2
      nnviz train circles --bench
      nnviz train --bench            every shipped scenario, one table
    """
    overrides = Overrides.of(locals())
    if scenario is None:
        if not bench:
            raise click.UsageError("missing SCENARIO (or --bench alone for the benchmark suite)")
        if save is not None or load is not None or record is not None:
            raise click.UsageError("--save, --load and --record need a SCENARIO")
        return run_suite(overrides.scenario_changes(), data_dir, as_json, quiet, threads)
    if save is not None:
        from nnviz.weights import check_save_path

        check_save_path(save)  # before training, not after it
    if record is not None:
        from nnviz.record import check_record_path

        check_record_path(record)
        if load is not None:
            raise click.UsageError("--record starts from the scenario's weights: drop --load")
    sc = overrides.load_scenario(scenario)
    if sc.model is None:
        raise click.UsageError(f"scenario '{sc.name}' is an expression graph: nothing to train "
                               f"(try nnviz trace {sc.name})")  # fmt: skip
    results = train_scenario(sc, data_dir, bench=bench, as_json=as_json, quiet=quiet, save=save,
                             load=load, threads=threads, record=record,
                             overrides=overrides.scenario_changes())  # fmt: skip
    if not as_json:
        print_results(results, bench)
        for r in results:
            if r.get("epoch_rows") and not bench:
                print_validation_epochs(r)
    return 0


def _progress_wanted(quiet: bool, as_json: bool) -> bool:
    return not quiet and not as_json and sys.stderr.isatty()


def train_scenario(sc, data_dir, *, bench=False, as_json=False, quiet=False, save=None, load=None,
                   threads=None, record=None, overrides=None):  # fmt: skip
    """Train every data set of the scenario; returns one result dict per data set."""
    from nnviz.session import build

    chunk_s = 0.5 if bench else 0.1
    first = build(sc, data_dir=data_dir, chunk_seconds=chunk_s, threads=threads)
    results = []
    for which in range(len(first.datasets)):
        session = first
        if which:
            session = build(sc, data_dir=data_dir, which=which, chunk_seconds=chunk_s,
                            threads=threads)  # fmt: skip
        if load is not None:
            from nnviz.weights import load_weights

            session.model.set_params(load_weights(load, session.model.params()))
        path = None
        if save:
            path = _per_dataset_path(save, session.label) if len(first.datasets) > 1 else save
        recording = None
        if record:
            where = _per_dataset_path(record, session.label) if len(first.datasets) > 1 else record
            recording = (where, overrides or {})
        results.append(_train_one(sc, session, bench, as_json, quiet, path, recording))
    return results


def _per_dataset_path(path: str, label: str) -> str:
    """w.npz → w-or.npz: a scenario over several data sets keeps one file per set."""
    from pathlib import Path

    p = Path(path)
    return str(p.with_name(f"{p.stem}-{label}{p.suffix or '.npz'}"))


def _train_one(sc, session, bench, as_json, quiet, save_path=None, recording=None) -> dict:
    from nnviz.perceptron import convergence
    from nnviz.train import Diverged, EpochsDone, Finished, Started

    trainer = session.trainer
    timeline = None
    if recording is not None:
        from nnviz.history import Timeline

        timeline = trainer.recorder = Timeline(trainer)
    trainer.test_every_epoch = not bench
    # Long epochs are timed one by one, as the reference runs time theirs; stopping after
    # every short epoch would cost more than the epoch.
    trainer.stop_every_epoch = bench and trainer.batches_per_epoch >= EPOCH_TIMING_MIN_BATCHES
    # a scenario over several data sets (perceptron-step's truth tables) names the set
    which_data = {"data": session.label} if len(session.datasets) > 1 else {}
    epoch_ends = []  # cumulative training seconds at each epoch's end, when epochs end one by one
    epoch_rows = []  # per-epoch rows when validating, for the per-epoch table
    show = _progress_wanted(quiet, as_json)
    progress = task = None
    if show:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        progress.start()
        task = progress.add_task("compiling kernels", total=None, loss="…")
    finished = diverged = None
    last_loss = None
    converged_at = None
    compile_s = 0.0
    t_start = time.perf_counter()
    try:
        for event in trainer.run():
            if isinstance(event, Started):
                compile_s = event.compile_s
                t_start = time.perf_counter()
                if progress:
                    progress.update(task, description=f"{sc.name} {session.label}".strip(),
                                    total=event.epochs, completed=0)  # fmt: skip
            elif isinstance(event, EpochsDone):
                if timeline is not None:
                    timeline.epochs.add_event(event)
                last_loss = float(event.losses[-1])
                if trainer.stop_every_epoch:
                    epoch_ends.append(event.elapsed_s)
                if converged_at is None and session.optimizer.kind == "perceptron":
                    converged_at = convergence(event.first_epoch, event.accuracies)
                if as_json and not bench:
                    for row in event.rows():
                        emit("epoch", {**which_data, **row})
                if trainer.has_val and not bench:
                    epoch_rows.extend(event.rows())
                if progress:
                    progress.update(task, completed=event.last_epoch, loss=f"{last_loss:.4f}")
            elif isinstance(event, Diverged):
                diverged = event
                if timeline is not None:
                    timeline.diverged_step = event.step
            elif isinstance(event, Finished):
                finished = event
    finally:
        if progress:
            progress.stop()
    wall = time.perf_counter() - t_start
    if timeline is not None:  # a run that diverged too: its last steps are the ones to see
        from nnviz.record import save_record

        save_record(recording[0], session, timeline, recording[1])
    if diverged is not None:
        raise click.ClickException(diverged.message)
    result = _result(sc, session, finished, compile_s, wall, converged_at)
    if epoch_ends:
        starts = [0.0, *epoch_ends[:-1]]
        result["epoch_s"] = [round(b - a, 6) for a, b in zip(starts, epoch_ends, strict=True)]
    if epoch_rows and not as_json:
        result["epoch_rows"] = epoch_rows
    if save_path:
        from nnviz.weights import save_weights

        save_weights(save_path, session.model.params())
        result["saved"] = str(save_path)
    if timeline is not None:
        result["recorded"] = str(recording[0])
    if as_json:
        emit("trained", result)
    return result


def _result(sc, session, fin, compile_s, wall, converged_at) -> dict:
    trainer = session.trainer
    epochs = max(fin.epochs, 1)
    result = {
        "scenario": sc.name,
        **({"data": session.label} if len(session.datasets) > 1 else {}),
        "data_source": session.dataset.source,  # which data set: file, folder, sample
        "epochs": fin.epochs,
        "steps": fin.steps,
        "samples": fin.epochs * trainer.X.shape[0],
        "compile_s": round(compile_s, 4),
        "train_s": round(fin.train_s, 6),
        "wall_s": round(wall, 6),
        "s_per_epoch": fin.train_s / epochs,
        "samples_per_s": fin.epochs * trainer.X.shape[0] / fin.train_s if fin.train_s else None,
        "steps_per_s": fin.steps / fin.train_s if fin.train_s else None,
        "final_loss": fin.final_loss,
        "train_accuracy": fin.train_accuracy,
        "test_loss": fin.test_loss,
        "test_accuracy": fin.test_accuracy,
        "val_loss": fin.val_loss,
        "val_accuracy": fin.val_accuracy,
        "validation": sc.training.validation,
        "seed": sc.training.seed,
        "dtype": sc.training.dtype,
        "optimizer": session.optimizer.kind,
        "batch_size": trainer.batch_size,
        "threads": 2 if trainer.paired else 1,
        # the share of training time on two threads (the rest ran faster on one, see ThreadChoice)
        "two_thread_share": trainer.threads.paired_s / fin.train_s if fin.train_s else None,
    }
    if session.optimizer.kind == "perceptron":
        result["converged_epoch"] = converged_at and converged_at.clean_epoch
        result["settled_after_epoch"] = converged_at and converged_at.settled_after
        if converged_at is not None:
            result["convergence"] = converged_at.text()
        else:
            result["note"] = (f"the perceptron rule did not converge in {fin.epochs} epochs: "
                              f"the data is not linearly separable")  # fmt: skip
    return result


def print_results(results: list[dict], bench: bool) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from nnviz.text import printable

    def plain(text) -> Text:  # text from files: no markup, no control characters
        return Text(printable(text, one_line=True))

    console = Console()
    if not console.is_terminal:  # a pipe or a file has no screen to fit: never cut a number
        console.width = max(console.width, 160)
    table = Table(title="nnviz train" + (" --bench" if bench else ""))
    columns = ["scenario", "epochs", "steps", "final_loss", "train_accuracy", "test_accuracy"]
    if any(r.get("val_loss") is not None for r in results):
        columns[5:5] = ["val_loss", "val_accuracy"]
    if bench:
        columns += ["compile_s", "s_per_epoch", "steps_per_s", "samples_per_s"]
    else:
        columns += ["train_s"]
    for col in columns:  # a narrow terminal folds a number onto two lines, never cuts it
        justify = "left" if col == "scenario" else "right"
        table.add_column(col.replace("_", " "), justify=justify, overflow="fold")
    for r in results:
        name = r["scenario"] + (f" ({r['data']})" if len(results) > 1 and r.get("data") else "")
        table.add_row(plain(name), *(_fmt(r.get(col)) for col in columns[1:]))
    console.print(table)
    sources = {}  # source → the scenarios trained on it, in order
    for r in results:
        if r.get("data_source"):
            sources.setdefault(r["data_source"], []).append(r["scenario"])
    for source, names in sources.items():
        which = "" if len(sources) == 1 else f"{', '.join(dict.fromkeys(names))}: "
        console.print(plain(f"{which}trained on {source}"))
    for r in results:
        if r.get("optimizer") == "perceptron":
            where = r.get("data") or r["scenario"]
            if r.get("convergence"):
                console.print(plain(f"{where}: the perceptron rule converged: "
                                    f"{r['convergence']}"))  # fmt: skip
            else:
                console.print(plain(f"{where}: {r['note']}"))


# the per-epoch validation table shows at most this many epochs (evenly spread, the last kept)
EPOCH_TABLE_ROWS = 20


def print_validation_epochs(result: dict) -> None:
    """Training against validation loss and accuracy, epoch by epoch."""
    from rich.console import Console
    from rich.table import Table

    rows = [r for r in result["epoch_rows"] if r.get("val_loss") is not None]
    if len(rows) > EPOCH_TABLE_ROWS:
        step = len(rows) / EPOCH_TABLE_ROWS
        rows = [rows[int(i * step)] for i in range(EPOCH_TABLE_ROWS - 1)] + [rows[-1]]
    data = result.get("data")
    name = result["scenario"] + (f" ({data})" if data and data != result["scenario"] else "")
    table = Table(title=f"{name}: validation on {result['validation']:g} of the training rows")
    columns = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    for col in columns:
        table.add_column(col.replace("_", " "), justify="right")
    for r in rows:
        table.add_row(*(_fmt(r.get(col)) for col in columns))
    Console().print(table)


def _fmt(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.4g}" if abs(x) < 1e5 else f"{x:,.0f}"
    return str(x)


def run_suite(overrides, data_dir, as_json, quiet, threads=None):
    """Every shipped scenario that trains, timed, in one table."""
    from nnviz.scenario import list_scenarios, load_scenario

    results = []
    for name, _ in list_scenarios():
        sc = load_scenario(name)
        if sc.model is None:
            continue
        sc = sc.with_overrides(**overrides)
        results.extend(
            train_scenario(sc, data_dir, bench=True, as_json=as_json, quiet=quiet, threads=threads)
        )
    if not as_json:
        print_results(results, True)
    return 0

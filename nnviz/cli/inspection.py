"""`nnviz info`, `nnviz check` and `nnviz trace`: look inside a scenario's network."""

from __future__ import annotations

import dataclasses
import json

import click

from nnviz.cli.common import load_with_overrides, override_options, scenario_argument
from nnviz.cli.jsonl import emit


# ================================================================ info
@click.command(short_help="The model summary: layers, shapes, parameter counts.")
@scenario_argument()
@click.option("--json", "as_json", is_flag=True, help="One JSON line (an info event).")
def info(scenario, as_json):
    """The model summary of SCENARIO: layers, output shapes, parameter counts."""
    from nnviz.data import INPUT_SIZES
    from nnviz.engine.spec import param_count, summary_rows
    from nnviz.scenario import load_scenario

    sc = load_scenario(scenario)
    out = {"name": sc.name, "description": sc.description, "path": str(sc.path)}
    if sc.graph is not None:
        out["graph"] = [f"{n.name} = {n.op}({', '.join(n.args)})" for n in sc.graph.nodes]
        out["inputs"] = dict(sc.graph.inputs)
        out["output"] = sc.graph.output
    else:
        n_in = sc.model.inputs or INPUT_SIZES.get(sc.data.kind)
        if n_in is None:
            n_in = sc.data.load().n_inputs
        rows = summary_rows(n_in, sc.model.layers, sc.model.image)
        # a dropout layer, as Keras lists it: after its dense layer, no parameters
        with_dropout = []
        layers = iter(sc.model.layers)
        for n, row in enumerate(rows, start=1):
            if row[0] == "flatten":  # a row of its own, not a layer of the file
                with_dropout.append((*row, True))
                continue
            lay = next(layers)
            with_dropout.append((*row, lay.trainable))
            if lay.dropout:
                with_dropout.append((f"dropout_{n} ({lay.dropout:g})", row[1], 0, True))
        rows = with_dropout
        out.update(
            inputs=n_in,
            layers=[
                {"layer": r[0], "output_shape": r[1], "params": r[2]}
                | ({} if r[3] else {"trainable": False})
                for r in rows
            ],  # fmt: skip
            total_params=param_count(n_in, sc.model.layers, sc.model.image),
            loss=sc.model.loss,
            l2=sc.model.l2,
            l1=sc.model.l1,
            data={"kind": sc.data.kind, **{k: _plain(v) for k, v in sc.data.params}}
            | ({"features": list(sc.data.features)} if sc.data.features else {}),
            optimizer=_optimizer_settings(sc.optimizer),
            training={
                "epochs": sc.training.epochs,
                "batch_size": sc.training.batch_size,
                "seed": sc.training.seed,
                "dtype": sc.training.dtype,
                "validation": sc.training.validation,
                "schedule": sc.training.schedule,
                "schedule_step": sc.training.schedule_step,
                "gamma": sc.training.gamma,
            },
        )
    if as_json:
        emit("info", out)
        return
    _print_info(out)


def _optimizer_settings(spec) -> dict:
    """The file's settings, and weight decay always where the optimizer has it (0 = none)."""
    from nnviz.engine.spec import OPTIMIZER_DEFAULTS

    settings = {"kind": spec.kind, **dict(spec.params)}
    if "weight_decay" in OPTIMIZER_DEFAULTS[spec.kind]:
        settings.setdefault("weight_decay", OPTIMIZER_DEFAULTS[spec.kind]["weight_decay"])
    return settings


def _schedule_text(tr: dict) -> str:
    if tr["schedule"] == "constant" or tr["gamma"] == 1:
        return "constant learning rate"
    every = (
        "every epoch"
        if tr["schedule"] == "exponential"
        else (f"every {tr['schedule_step']} epochs" if tr["schedule_step"] > 1 else "every epoch")
    )
    return f"{tr['schedule']}: the learning rate × {tr['gamma']:g} {every}"


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _print_info(out: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from nnviz.text import printable

    console = Console()
    name, description = (escape(printable(out[k], one_line=True)) for k in ("name", "description"))
    console.print(f"[bold]{name}[/bold]: {description}")
    if "graph" in out:
        console.print("inputs: " + ", ".join(f"{k} = {v:g}" for k, v in out["inputs"].items()))
        for line in out["graph"]:
            console.print("  " + line)
        console.print(f"output: {out['output']}")
        return
    table = Table(title=f"{out['inputs']} inputs → {out['loss']}")
    features = out.get("data", {}).get("features")
    table.add_column("Layer (type)")
    table.add_column("Output Shape")
    table.add_column("Param #", justify="right")
    for row in out["layers"]:
        frozen = " frozen" if row.get("trainable") is False else ""
        table.add_row(row["layer"] + frozen, row["output_shape"], f"{row['params']:,}")
    console.print(table)
    console.print(f"Total params: {out['total_params']:,}")
    if features:
        console.print("inputs (engineered features of the data's columns): " + ", ".join(features))
    penalties = [f"{k} {out[k]:g}·{f}" for k, f in (("l2", "ΣW²"), ("l1", "Σ|W|")) if out.get(k)]
    if penalties:
        console.print("penalty (weights, not biases): " + ", ".join(penalties))
    opt = ", ".join(f"{k}={v:g}" for k, v in out["optimizer"].items() if k != "kind")
    console.print(f"optimizer: {out['optimizer']['kind']} ({opt})")
    tr = out["training"]
    console.print(
        f"training: {tr['epochs']} epochs, batch {tr['batch_size'] or 'full'}, "
        f"seed {tr['seed']}, {tr['dtype']}"
        + (f", validation {tr['validation']:g}" if tr.get("validation") else "")
    )
    console.print(f"schedule: {_schedule_text(tr)}")
    l2 = out.get("l2") or 0
    wd = out["optimizer"].get("weight_decay", 0)
    console.print(
        "regularisation: "
        + (f"L2 {l2:g} (λ·Σ W² added to the loss for every weight matrix)" if l2 else "no L2")
        + (f", weight decay {wd:g} (in the update)" if wd else ", no weight decay")
    )


# ================================================================ check
@click.command(short_help="Analytic vs numerical gradient of every parameter.")
@scenario_argument()
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="NNVIZ_DATA",
              help="Folder of MNIST-format IDX files.")  # fmt: skip
@click.option("--seed", type=click.IntRange(min=0), help="Seed for init and shuffling.")
@click.option("--elements", default=20, show_default=True, type=click.IntRange(min=1),
              help="Elements checked per parameter (all when fewer).")  # fmt: skip
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON lines: a gradient event per parameter, then check.",
)
def check(scenario, data_dir, seed, elements, as_json):
    """Analytic vs numerical (central-difference, float64) gradient of every parameter.

    Exits 1 if any parameter's gradient disagrees.
    """
    from nnviz.engine.gradcheck import ensure_checkable, gradcheck
    from nnviz.session import build

    sc = load_with_overrides(scenario, seed=seed)
    session = build(sc, data_dir=data_dir)
    ensure_checkable(session.model.program.graph)  # before a kernel is compiled to feed it
    if session.is_graph:
        feeds = None
    else:
        session.trainer.feed_next_batch()
        feeds = {"x": session.model.value("x").copy(), "y": session.model.value("y").copy()}
    results = gradcheck(session.model.program, feeds, max_elements=elements)
    if as_json:
        for r in results:
            emit("gradient", {
                "param": r.name, "checked": r.checked, "size": r.size,
                "max_abs_error": r.max_abs_error, "max_rel_error": r.max_rel_error, "ok": r.ok,
            })  # fmt: skip
        emit("check", {
            "scenario": sc.name, "ok": all(r.ok for r in results), "params": len(results),
            "failed": [r.name for r in results if not r.ok],
        })  # fmt: skip
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"gradient check: {sc.name} (float64, central differences)")
        for col in ("parameter", "checked", "max abs error", "max rel error", "ok"):
            table.add_column(col, justify="left" if col == "parameter" else "right")
        for r in results:
            table.add_row(r.name, f"{r.checked}/{r.size}", f"{r.max_abs_error:.2e}",
                          f"{r.max_rel_error:.2e}", "yes" if r.ok else "NO")  # fmt: skip
        Console().print(table)
    if not all(r.ok for r in results):
        raise SystemExit(1)


# ================================================================ trace
def _parse_steps(ctx, param, value) -> tuple[int, int]:
    """N (step N alone) or A:B (steps A to B, both included) as (first, last)."""
    text = str(value).strip()
    try:
        if ":" in text:
            a, b = (int(part) for part in text.split(":", 1))
            if not 1 <= a <= b:
                raise ValueError
            return a, b
        n = int(text)
        if n < 0:
            raise ValueError
        return n, n
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not a step number N ≥ 0 or a range A:B with 1 ≤ A ≤ B"
        ) from None


@click.command(short_help="Every value, gradient and update at the given training steps.")
@scenario_argument(required=False)
@click.option(
    "--replay",
    type=click.Path(dir_okay=False),
    metavar="RUN",
    help="Read the steps from a run recorded by nnviz train --record instead of training "
    "SCENARIO (the same numbers as the live run, bit for bit).",
)
@click.option(
    "--nonfinite",
    is_flag=True,
    help="With --replay: where the run's first NaN or infinity came from, instead of the "
    "steps: the step, the node and the chain of factors (upstream, local) that made it.",
)
@click.option(
    "--steps",
    default="1",
    show_default=True,
    metavar="N|A:B",
    callback=_parse_steps,
    help="Training step N (0: the passes at the start, no update), or steps A to B.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Also the chain rule at every node (upstream × local, with the numbers), the "
    "update with the optimizer's state, a numerical check of each parameter's gradient, "
    "and forward vs reverse mode for an expression graph.",
)
@override_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object per line, each with an "event" key: "step" for each training '
    'step, "graph" for an expression graph. NaN and ±infinity are written as the strings '
    '"nan", "inf" and "-inf" (JSON has no such numbers), and the object\'s "nonfinite" is '
    "then true.",
)
def trace(scenario, replay, nonfinite, steps, explain, epochs, lr, batch_size, optimizer, seed,
          dtype, data_dir, as_json):  # fmt: skip
    """Every node's value and gradient, and every parameter before and after the update, at
    training step N (or steps A to B): numbers to check homework against.

    Each step carries what recomputing it needs without the scenario file: the batch's rows,
    the dtype, the data set, the optimizer's settings and step count, and the learning rate
    the update used.
    """
    from nnviz.session import build

    first, last = steps
    if replay is not None:
        given = [n for n, v in (("SCENARIO", scenario), ("--epochs", epochs), ("--lr", lr),
                 ("--batch-size", batch_size), ("--optimizer", optimizer), ("--seed", seed),
                 ("--dtype", dtype)) if v is not None]  # fmt: skip
        if given:
            raise click.UsageError(f"--replay takes the run's own settings: drop {given[0]}")
        if nonfinite:
            return _trace_nonfinite(replay, data_dir, as_json)
        session, records = _trace_replay(replay, data_dir, first, last, explain)
        sc = session.scenario
    else:
        if nonfinite:
            raise click.UsageError("--nonfinite reads a recorded run: give --replay RUN")
        if scenario is None:
            raise click.UsageError("missing SCENARIO (or --replay RUN)")
        sc = load_with_overrides(scenario, epochs=epochs, lr=lr, batch_size=batch_size,
                                 optimizer=optimizer, seed=seed, dtype=dtype)  # fmt: skip
        session = build(sc, data_dir=data_dir)
        records = [_trace_graph(session, explain)] if session.is_graph else None
        if records is None:
            records = _trace_steps(session, first, last, explain)
    for out in records:
        out["scenario"] = sc.name
        if as_json:
            click.echo(_json_line(out))
        else:
            _print_trace(out)


def _trace_nonfinite(path, data_dir, as_json: bool) -> None:
    """The report of nnviz.nonfinite on a recorded run, printed or as one JSON line."""
    from nnviz.history import twin
    from nnviz.nonfinite import first_nonfinite
    from nnviz.record import open_record, read_record

    session, timeline = open_record(read_record(path), data_dir=data_dir)
    report = first_nonfinite(timeline, twin(session))
    name = session.scenario.name
    if not as_json:
        if report is None:
            click.echo(
                f"{name}: no NaN or infinity in the recorded run ({timeline.last_step} steps)"
            )
            return
        click.echo(f"{name}: " + "\n".join(report.lines()))
        return
    out = {"event": "nonfinite", "scenario": name, "found": report is not None}
    if report is not None:
        out.update({
            "step": report.step, "epoch": report.epoch, "phase": report.phase,
            "node": report.node, "what": report.what, "chain": list(report.chain),
            "factors": [{"name": f.name, "role": f.role, "size": f.size, "huge": f.huge}
                        for f in report.factors],
            "growth": [[s, v] for s, v in report.growth], "lr": report.lr,
            "verdict": report.verdict, "lines": report.lines(),
        })  # fmt: skip
    click.echo(_json_line(out))


def _trace_replay(path, data_dir, first: int, last: int, explain: bool):
    """(session, the steps' records) of a recorded run: the state before step `first` from
    its history (a keyframe and the steps after it re-run), then each step by hand."""
    from nnviz.record import open_record, read_record
    from nnviz.stepper import Stepper

    session, timeline = open_record(read_record(path), data_dir=data_dir)
    end = timeline.last_step + (1 if timeline.diverged_step is not None else 0)
    if last > end:
        what = "its last step (the one that diverged)" if end > timeline.last_step else "its end"
        raise click.BadParameter(
            f"step {last} is beyond the run in {path}: {what} is step {end}",
            param_hint="'--steps'",
        )
    timeline.restore(session.trainer, max(first - 1, 0))
    session.trainer.recorder = None
    stepper = Stepper.of(session)
    return session, (_trace_one(session, stepper, n, explain) for n in range(first, last + 1))


def _json_line(out: dict) -> str:
    from nnviz.explain import plain
    from nnviz.schema import SCHEMA_VERSION

    data = {"event": out["event"], "schema": SCHEMA_VERSION, **plain(out)}
    data["nonfinite"] = _has_nonfinite(data)
    return json.dumps(data, allow_nan=False)


def _has_nonfinite(obj) -> bool:
    if isinstance(obj, dict):
        return any(_has_nonfinite(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_nonfinite(v) for v in obj)
    return obj in ("nan", "inf", "-inf")


def _node_rows(program) -> list[dict]:
    graph = program.graph
    rows = []
    for i, node in enumerate(graph.nodes):
        rows.append({
            "name": node.name,
            "formula": graph.formula(i),
            "shape": list(program.shape(i)),
            "param": node.is_param,
            "value": program.value(i).copy(),
            "grad": program.grad(i).copy() if program.needs_grad(i) else None,
        })  # fmt: skip
    return rows


def _trace_steps(session, first: int, last: int, explain: bool):
    """Steps first … last, each taken by hand (nnviz.stepper); the ones before at full speed
    (the same numbers, bit for bit)."""
    from nnviz.stepper import Stepper
    from nnviz.train import Diverged

    trainer = session.trainer
    for _ in range(max(first - 1, 0)):
        if isinstance(trainer.step(), Diverged):
            raise click.ClickException(trainer.diverged.message)
    stepper = Stepper.of(session)
    for n in range(first, last + 1):
        yield _trace_one(session, stepper, n, explain)


def _trace_one(session, stepper, n: int, explain: bool) -> dict:
    from nnviz import explain as ex

    trainer, program, opt = session.trainer, session.model.program, session.optimizer
    epoch, batch_index = trainer.epoch, trainer.batch_index
    stepper.to_update()
    rows = stepper.rows
    nodes = _node_rows(program)
    out_explain = {}
    if explain:
        out_explain["chain"] = _chains_plain(program, ex.chain_rules(program))
        out_explain["forward"] = _forward_plain(program)
        out_explain["check"] = _checks(session, stepper)
    if n > 0:
        record = ex.take_update(stepper)
    else:  # the passes at the start: nothing is updated
        names = [program.name(i) for i in program.param_indices]
        record = ex.UpdateRecord(opt.kind, opt.lr_at(epoch), opt.t, tuple(
            ex.ParamUpdate(name, program.value(name).copy(), program.grad(name).copy(),
                           {k: v.copy() for k, v in opt.state_of(name).items()},
                           program.value(name).copy(), opt.is_frozen(name))
            for name in names
        ), (), opt.hyperparameters())  # fmt: skip
        stepper.abandon()
    params = [
        {"name": u.name, "before": u.old, "grad": u.grad, "after": u.new, "state": u.state}
        | ({"frozen": True} if u.frozen else {})
        for u in record.params
    ]
    if explain:
        out_explain["update"] = {
            "rule": UPDATE_RULES.get(opt.kind, ""),
            "perceptron_rows": [
                {"row": r.row, "x": r.x, "y": r.y, "a": r.a} for r in record.perceptron
            ],
        }
    ds = session.dataset
    out = {
        "event": "step",
        "step": n,
        "epoch": epoch + 1,
        "batch": batch_index + 1,
        "batches_per_epoch": trainer.batches_per_epoch,
        "optimizer": opt.kind,
        "lr": opt.lr,
        "lr_used": opt.lr_now(),
        "lr_formula": opt.lr_formula(opt.epoch),
        "hyperparameters": record.hyper,
        "dtype": str(program.dtype),
        "seed": trainer.seed,
        "shuffle": trainer.shuffle,
        "batch_size": trainer.batch_size,
        "data": {"name": ds.name, "source": ds.source, "task": ds.task,
                 "kind": session.scenario.data.kind, "train_rows": int(trainer.X.shape[0])}
                | ({"features": list(session.scenario.data.features)}
                   if session.scenario.data.features else {}),
        "batch_rows": [int(r) for r in rows],
        "loss": float(program.value(program.graph.loss)[0, 0]),
        "nodes": nodes,
        "params": params,
    }  # fmt: skip
    if explain:
        out["explain"] = out_explain
    return out


# the update of each optimizer as a formula, shown beside the numbers (--explain)
UPDATE_RULES = {
    "sgd": "θ ← θ − lr·(g + wd·θ)",
    "momentum": "v ← μ·v + (g + wd·θ);  θ ← θ − lr·v",
    "nesterov": "v ← μ·v + (g + wd·θ);  θ ← θ − lr·((g + wd·θ) + μ·v)",
    "rmsprop": "s ← α·s + (1 − α)·g²;  θ ← θ − lr·g/(√s + ε)",
    "adam": "m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  θ ← θ − lr·m̂/(√v̂ + ε) with "
    "m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)",
    "adagrad": "s ← s + g²;  θ ← θ − lr·g/(√s + ε)",
    "perceptron": "θ ← θ + η(y − a)x  (for each row of the batch)",
}


def _arithmetic_plain(arith) -> dict | None:
    """An Arithmetic (nnviz.arithmetic) for JSON, each line also as the text it reads as."""
    if arith is None:
        return None
    lines = []
    for line in arith.lines:
        d = dataclasses.asdict(line)
        d["text"] = line.text(_num)
        lines.append(d)
    return {"title": arith.title, "elements": arith.elements, "note": arith.note, "lines": lines}


def _forward_plain(program) -> list[dict]:
    """Each computed node's value from its inputs' values (every row: the whole batch)."""
    from nnviz import arithmetic

    out = []
    for i in range(len(program)):
        arith = arithmetic.forward_lines(program.graph, program.value, i)
        if arith is not None:
            out.append({"node": program.name(i), **_arithmetic_plain(arith)})
    return out


def _chains_plain(program, reports: dict) -> list[dict]:
    from nnviz import arithmetic

    graph = program.graph
    dl = f"∂{program.name(graph.loss)}/∂"
    out = []
    for j, report in reports.items():
        out.append({
            "node": program.name(j),
            "seed": report.seed,
            "complete": report.complete,
            "grad": report.grad,
            "total": report.total,
            "terms": [{
                "consumer": program.name(t.consumer),
                "upstream": t.upstream,
                "local_rule": t.local_text,
                "local": t.local,
                "contribution": t.contribution,
                "arithmetic": _arithmetic_plain(
                    arithmetic.term_lines(graph, program.value, t, j, grad_name=dl)),
            } for t in report.terms],
            "sum": _arithmetic_plain(
                arithmetic.fanout_lines(report, None, dl, program.name(j))),
        })  # fmt: skip
    return out


def _checks(session, stepper) -> list[dict]:
    from nnviz import explain as ex

    program, model = session.model.program, session.model
    perceptron = stepper.perceptron
    feeds = None
    if stepper.rows is not None and not perceptron:
        feeds = {program.name(model.x): session.trainer.X[stepper.rows],
                 program.name(model.y): session.trainer.Y[stepper.rows]}  # fmt: skip
    out = []
    for i in program.param_indices:
        name = program.name(i)
        report = ex.gradient_check(program, name, feeds, stepper.rows, perceptron=perceptron)
        out.append({
            "param": name,
            "note": report.note,
            "source": report.source,
            "max_rel_error": report.max_rel_error,
            "elements": [{"index": list(r.index), "analytic": r.analytic, "numeric": r.numeric,
                          "rel_error": r.rel_error} for r in report.results],
        })  # fmt: skip
        if perceptron:
            break
    return out


def _trace_graph(session, explain: bool) -> dict:
    """An expression graph: values, reverse mode (one pass) and forward mode (one per input)."""
    from nnviz import explain as ex
    from nnviz.stepper import Stepper

    program = session.model.program
    Stepper.of(session).step()  # the forward pass and the reverse-mode pass
    nodes = _node_rows(program)
    report = ex.modes(session.model)
    names = [program.name(i) for i in report.nodes]
    tangents = {
        name: {names[i]: t for i, t in per_input.items()}
        for name, per_input in zip(report.inputs, report.tangents, strict=True)
    }
    out = {
        "event": "graph",
        "nodes": nodes,
        "reverse_mode": dict(zip(report.inputs, report.reverse, strict=True)),
        "forward_mode": dict(zip(report.inputs, report.forward, strict=True)),
        "tangents": tangents,
        "output": report.output,
    }
    if explain:
        out["explain"] = {"chain": _chains_plain(program, ex.chain_rules(program)),
                          "forward": _forward_plain(program)}  # fmt: skip
    return out


def _print_trace(out: dict) -> None:
    from rich.console import Console

    console = Console(highlight=False)
    show = _matrix_text
    if out["event"] == "step":
        console.print(f"[bold]{out['scenario']}[/bold]: step {out['step']} "
                      f"({out['optimizer']}, lr {_lr_text(out)}), epoch {out['epoch']}, "
                      f"batch {out['batch']}/{out['batches_per_epoch']}, {out['dtype']}, "
                      f"batch rows {out['batch_rows']}, loss {_num(out['loss'])}")  # fmt: skip
    of = out.get("output", "L")
    chains = {c["node"]: c for c in out.get("explain", {}).get("chain", [])}
    forward = {f["node"]: f for f in out.get("explain", {}).get("forward", [])}
    for node in out["nodes"]:
        console.print(f"[bold]{node['formula']}[/bold]  {node['shape'][0]}×{node['shape'][1]}")
        console.print("  value: " + show(node["value"]))
        if node["name"] in forward:
            _print_arithmetic(console, forward[node["name"]], "  ")
        if node["grad"] is not None:
            console.print(f"  ∂{of}/∂{node['name']}: " + show(node["grad"]))
        if node["name"] in chains:
            _print_chain(console, chains[node["name"]], of)
    hyper = out.get("hyperparameters") or {}
    settings = ", ".join(f"{'base lr' if k == 'lr' else k} {_num(v)}" for k, v in hyper.items()
                         if k not in ("kind", "lr_now", "t", "schedule", "schedule_step",
                                      "gamma"))  # fmt: skip
    for p in out.get("params", []):
        frozen = " (frozen: the optimizer leaves it as it is)" if p.get("frozen") else ""
        console.print(f"[bold]update {p['name']}[/bold]{frozen}")
        console.print("  before: " + show(p["before"]))
        console.print("  grad:   " + show(p["grad"]))
        for k, v in p["state"].items():
            console.print(f"  {k}: " + show(v))
        console.print("  after:  " + show(p["after"]))
    if "explain" in out and out["event"] == "step":
        ex = out["explain"]
        console.print(f"[bold]rule[/bold] ({out['optimizer']}: {settings}; lr used "
                      f"{_lr_text(out)}, update {hyper.get('t')}): "
                      f"{ex['update']['rule']}")  # fmt: skip
        for r in ex["update"]["perceptron_rows"]:
            console.print(f"  row {r['row']}: x {show([r['x']])}, y {show([r['y']])}, "
                          f"a {show([r['a']])}")  # fmt: skip
        for c in ex["check"]:
            if c["note"]:
                console.print(f"[bold]gradient check[/bold]: {c['note']}")
                continue
            console.print(f"[bold]gradient check {c['param']}[/bold] ({c['source']}): "
                          f"max relative error {c['max_rel_error']:.2e}")  # fmt: skip
            for e in c["elements"]:
                r, col = e["index"]
                console.print(f"  [{r}, {col}] analytic {_num(e['analytic'])}, "
                              f"numeric {_num(e['numeric'])}, "
                              f"relative error {e['rel_error']:.1e}")  # fmt: skip
    if "reverse_mode" in out:
        for name, d in out["reverse_mode"].items():
            fwd = out["forward_mode"][name]
            console.print(f"∂{of}/∂{name}: reverse mode {_num(d)}, forward mode {_num(fwd)}")
        if "explain" in out:
            console.print("forward mode, one pass per input (tangents ∂node/∂input):")
            for name, tangents in out["tangents"].items():
                console.print(f"  d/d{name}: " + ", ".join(
                    f"{node} {_num(t)}" for node, t in tangents.items()))  # fmt: skip


def _print_chain(console, chain: dict, of: str) -> None:
    show = _matrix_text
    node = chain["node"]
    if chain["seed"]:
        console.print(f"  chain rule: ∂{of}/∂{of} = 1 (the seed of reverse mode)")
        return
    label = "chain rule" if chain["complete"] else "chain rule (so far)"
    console.print(f"  {label}: ∂{of}/∂{node} = Σ over consumers c of ∂{of}/∂c × ∂c/∂{node}")
    for t in chain["terms"]:
        c = t["consumer"]
        console.print(f"    from {c} (local ∂{c}/∂{node} = {t['local_rule']}): "
                      f"{show(t['contribution'])}")  # fmt: skip
        if t["arithmetic"] is not None:
            _print_arithmetic(console, t["arithmetic"], "      ")
    if len(chain["terms"]) > 1 and chain["total"] is not None:
        console.print(f"    sum: {show(chain['total'])}")
        if chain["sum"] is not None:
            _print_arithmetic(console, chain["sum"], "      ")


def _print_arithmetic(console, arith: dict, indent: str) -> None:
    from rich.markup import escape

    console.print(f"{indent}{escape(arith['title'])}:")
    for line in arith["lines"]:
        console.print(f"{indent}  {escape(line['text'])}")
    left = arith["elements"] - len(arith["lines"])
    if left > 0:
        console.print(f"{indent}  ({left} more elements)")
    if arith["note"]:
        console.print(f"{indent}  ({escape(arith['note'])})")


def _lr_text(out: dict) -> str:
    """The rate the step used, with how a schedule made it from the base rate."""
    formula = out.get("lr_formula") or ""
    return _num(out["lr_used"]) + (f" = {formula}" if formula else "")


def _shape(rows) -> tuple:
    import numpy as np

    return np.shape(rows)


def _num(x) -> str:
    """A number as trace prints it: 6 significant digits; NaN and ±infinity spelled out."""
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    x = float(x)
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "+inf" if x > 0 else "-inf"
    return f"{x:.6g}"


def _matrix_text(rows) -> str:
    import numpy as np

    arr = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    text = "; ".join(" ".join(_num(x) for x in row) for row in arr)
    return f"[{text}]"

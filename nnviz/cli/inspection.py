"""`nnviz info`, `nnviz check` and `nnviz trace`: look inside a scenario's network."""

from __future__ import annotations

import json

import click

from nnviz.cli.common import load_with_overrides, override_options, scenario_argument
from nnviz.cli.jsonl import emit


def _number_list(arr) -> list:
    return [[float(x) for x in row] for row in arr]


# ================================================================ info
@click.command(short_help="The model summary: layers, shapes, parameter counts.")
@scenario_argument()
@click.option("--json", "as_json", is_flag=True, help="One JSON line (an info event).")
def info(scenario, as_json):
    """The model summary of SCENARIO: layers, output shapes, parameter counts."""
    from nnviz.data import INPUT_SIZES
    from nnviz.engine.spec import summary_rows
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
        rows = summary_rows(n_in, [(lay.units, lay.activation) for lay in sc.model.layers])
        # a dropout layer, as Keras lists it: after its dense layer, no parameters
        with_dropout = []
        for n, (row, lay) in enumerate(zip(rows, sc.model.layers, strict=True), start=1):
            with_dropout.append(row)
            if lay.dropout:
                with_dropout.append((f"dropout_{n} ({lay.dropout:g})", row[1], 0))
        rows = with_dropout
        out.update(
            inputs=n_in,
            layers=[{"layer": r[0], "output_shape": r[1], "params": r[2]} for r in rows],
            total_params=sum(r[2] for r in rows),
            loss=sc.model.loss,
            data={"kind": sc.data.kind, **{k: _plain(v) for k, v in sc.data.params}},
            optimizer={"kind": sc.optimizer.kind, **dict(sc.optimizer.params)},
            training={
                "epochs": sc.training.epochs,
                "batch_size": sc.training.batch_size,
                "seed": sc.training.seed,
                "dtype": sc.training.dtype,
                "validation": sc.training.validation,
            },
        )
    if as_json:
        emit("info", out)
        return
    _print_info(out)


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
    table.add_column("Layer (type)")
    table.add_column("Output Shape")
    table.add_column("Param #", justify="right")
    for row in out["layers"]:
        table.add_row(row["layer"], row["output_shape"], f"{row['params']:,}")
    console.print(table)
    console.print(f"Total params: {out['total_params']:,}")
    opt = ", ".join(f"{k}={v:g}" for k, v in out["optimizer"].items() if k != "kind")
    console.print(f"optimizer: {out['optimizer']['kind']} ({opt})")
    tr = out["training"]
    console.print(
        f"training: {tr['epochs']} epochs, batch {tr['batch_size'] or 'full'}, "
        f"seed {tr['seed']}, {tr['dtype']}"
        + (f", validation {tr['validation']:g}" if tr.get("validation") else "")
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
    from nnviz.engine.gradcheck import gradcheck
    from nnviz.session import build

    sc = load_with_overrides(scenario, seed=seed)
    session = build(sc, data_dir=data_dir)
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
@click.command(short_help="Every value, gradient and update at the given training steps.")
@scenario_argument()
@click.option(
    "--steps",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Training steps; the last one is shown (0: passes at the start, no update).",
)
@override_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def trace(scenario, steps, epochs, lr, batch_size, optimizer, seed, dtype, data_dir, as_json):
    """Every node's value and gradient, and every parameter before and after the update, at
    training step N: numbers to check homework against."""
    from nnviz.session import build

    sc = load_with_overrides(scenario, epochs=epochs, lr=lr, batch_size=batch_size,
                             optimizer=optimizer, seed=seed, dtype=dtype)  # fmt: skip
    session = build(sc, data_dir=data_dir)
    out = _trace_graph(session) if session.is_graph else _trace_steps(session, steps)
    out["scenario"] = sc.name
    if as_json:
        click.echo(json.dumps(out))
    else:
        _print_trace(out)


def _node_rows(session) -> list[dict]:
    program = session.model.program
    graph = program.graph
    rows = []
    for i, node in enumerate(graph.nodes):
        rows.append({
            "name": node.name,
            "formula": graph.formula(i),
            "shape": list(program.shape(i)),
            "param": node.is_param,
            "value": _number_list(program.value(i)),
            "grad": _number_list(program.grad(i)) if program.needs_grad(i) else None,
        })  # fmt: skip
    return rows


def _trace_steps(session, steps: int) -> dict:
    trainer, program, opt = session.trainer, session.model.program, session.optimizer
    for _ in range(max(steps - 1, 0)):
        if trainer.step().__class__.__name__ == "Diverged":
            raise click.ClickException(trainer.diverged.message)
    rows = trainer.feed_next_batch()
    opt.zero_grad()
    program.forward()
    program.seed()
    program.backward()
    before = program.params()
    nodes = _node_rows(session)
    if steps > 0:
        opt.step()
        trainer.count_manual_step()
    params = []
    for name, old in before.items():
        params.append({
            "name": name,
            "before": _number_list(old),
            "grad": _number_list(program.grad(name)),
            "after": _number_list(program.value(name)),
            "state": {k: _number_list(v) for k, v in opt.state_of(name).items()},
        })  # fmt: skip
    return {
        "step": steps,
        "optimizer": opt.kind,
        "lr": opt.lr,
        "batch_rows": [int(r) for r in rows],
        "loss": float(program.value(program.graph.loss)[0, 0]),
        "nodes": nodes,
        "params": params,
    }


def _trace_graph(session) -> dict:
    """An expression graph: values, reverse mode (one pass) and forward mode (one per input)."""
    program = session.model.program
    program.forward()
    program.grads[:] = 0
    program.seed()
    program.backward()
    nodes = _node_rows(session)
    forward_mode = {}
    for i in program.graph.wrt:
        name = program.name(i)
        program.jvp({name: 1.0})
        forward_mode[name] = {program.name(j): float(program.tangent(j)[0, 0])
                              for j in range(len(program))}  # fmt: skip
    out_name = program.name(program.graph.loss)
    return {
        "nodes": nodes,
        "reverse_mode": {program.name(i): float(program.grad(i)[0, 0]) for i in program.graph.wrt},
        "forward_mode": {k: v[out_name] for k, v in forward_mode.items()},
        "tangents": forward_mode,
        "output": out_name,
    }


def _print_trace(out: dict) -> None:
    from rich.console import Console

    console = Console()
    np_fmt = _matrix_text
    if "step" in out:
        console.print(f"[bold]{out['scenario']}[/bold]: step {out['step']} "
                      f"({out['optimizer']}, lr {out['lr']:g}), batch rows {out['batch_rows']}, "
                      f"loss {out['loss']:.6g}")  # fmt: skip
    for node in out["nodes"]:
        console.print(f"[bold]{node['formula']}[/bold]  {node['shape'][0]}×{node['shape'][1]}",
                      highlight=False)  # fmt: skip
        console.print("  value: " + np_fmt(node["value"]), highlight=False)
        if node["grad"] is not None:
            console.print(f"  ∂{out.get('output', 'L')}/∂{node['name']}: " + np_fmt(node["grad"]),
                          highlight=False)  # fmt: skip
    for p in out.get("params", []):
        console.print(f"[bold]update {p['name']}[/bold]", highlight=False)
        console.print("  before: " + np_fmt(p["before"]), highlight=False)
        console.print("  grad:   " + np_fmt(p["grad"]), highlight=False)
        for k, v in p["state"].items():
            console.print(f"  {k}: " + np_fmt(v), highlight=False)
        console.print("  after:  " + np_fmt(p["after"]), highlight=False)
    if "reverse_mode" in out:
        for name, d in out["reverse_mode"].items():
            fwd = out["forward_mode"][name]
            console.print(f"∂{out['output']}/∂{name}: reverse mode {d:g}, forward mode {fwd:g}",
                          highlight=False)  # fmt: skip


def _matrix_text(rows: list) -> str:
    text = "; ".join(" ".join(f"{x:.6g}" for x in row) for row in rows)
    return f"[{text}]"

"""How a number comes from others, as plain data: the forward value of a node from its inputs'
values, and each chain-rule term of a gradient from the upstream gradient and the numbers of
the op's other inputs. No Textual here; the explorer's inspector lays the lines out and
`nnviz trace --explain` prints them.

    forward_lines(graph, value_of, i, sample=None) -> Arithmetic | None
    term_lines(graph, value_of, term, j, sample=None) -> Arithmetic | None
    fanout_lines(report, sample=None) -> Arithmetic | None

`value_of(k)` gives node k's value (rows × cols, the batch's rows); `sample` picks one row of
the batch (None: every row, the whole batch). Each Line's factors are the engine's numbers
(values, gradients and the local derivatives its VJP rules computed) and its result is the
engine's number too, except a sample's share of a parameter's gradient, which the engine only
holds summed over the batch: that share is the product of the listed factors, in float64.
Lines list at most `max_terms` terms; the others are summed into `rest` (in float64).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnviz.engine import ops

MAX_TERMS = 6
MAX_LINES = 8

# the ops whose value is a function of one number, as a line writes the function
FUNCTIONS = {
    ops.SIGMOID: "σ",
    ops.TANH: "tanh",
    ops.RELU: "relu",
    ops.STEP: "H",
}


@dataclass(frozen=True)
class Line:
    """result = op(terms): one number and the numbers it comes from.

    op "sum": Σ over terms of the product of the term's factors (+ rest);
    "mean": the same sum divided by n;
    "σ", "tanh", "relu", "H": the function of the one factor of the one term;
    "sub": terms[0] − terms[1];
    "bce": −(Σ y·ln p + (1 − y)·ln(1 − p) over the terms (p, y)) / n;
    "bce_logits": (Σ ln(1 + e^z) − y·z over the terms (z, y)) / n;
    "mse": Σ (a − b)² / n;  "mae": Σ |a − b| / n;  "l2": const·Σ a²;
    "softmax_ce": Σ y·(lse − z) / n over the terms (y, lse, z), lse = ln Σₖ e^zₖ of the row;
    "lse": ln(Σ e^z) over the terms (z,);  "softmax": e^terms[0] / Σ e^z over terms[1:].
    `rest` is the part of the sum (before dividing, inside the ln) from the `rest_count`
    terms not listed.
    """

    target: str  # what the number is, e.g. "z2[0,0]" (plain names; the inspector subscripts)
    op: str
    terms: tuple[tuple[float, ...], ...]
    result: float
    rest: float | None = None
    rest_count: int = 0
    const: float = 0.0
    n: int = 0
    tail: tuple[tuple[float, ...], ...] = ()  # terms of a sum listed after the rest (a bias)

    def expression(self, num: Callable[[float], str]) -> str:
        """The right-hand side as a student writes it, with the numbers."""
        return _expression(self, num)

    def text(self, num: Callable[[float], str]) -> str:
        return f"{self.target} = {self.expression(num)} = {num(self.result)}"


@dataclass(frozen=True)
class Arithmetic:
    """The lines that show how a node's value, or one chain-rule term, is computed."""

    title: str  # what the lines are, e.g. "Σ over the 4 rows of upstream × 1"
    lines: tuple[Line, ...]
    elements: int  # how many numbers the result has (the lines may show fewer)
    note: str = ""  # what else the reader should know (e.g. a share of a batch sum)


# ====================================================================== forward
def forward_lines(
    graph,
    value_of: Callable[[int], np.ndarray],
    i: int,
    sample: int | None = None,
    *,
    max_terms: int = MAX_TERMS,
    max_lines: int = MAX_LINES,
) -> Arithmetic | None:
    """Node i's value from its inputs' values, element by element (None for leaves and image
    ops, whose value is not a short sum)."""
    node = graph.nodes[i]
    spec = ops.BY_CODE[node.op]
    if spec.kind in ("leaf", "image", "shape"):
        return None
    out = np.asarray(value_of(i))
    name = node.name
    ins = [np.asarray(value_of(k)) for k in node.inputs]
    code = node.op
    if spec.kind == "loss" or code in (ops.SUM, ops.MEAN, ops.L2):
        line = _reduce_line(node, ins, out, sample, max_terms)
        title = "from its inputs' values (the whole batch)"
        return Arithmetic(title, (line,), 1) if line else None
    rows = _rows(out, node, sample)
    cells = [(r, c) for r in rows for c in range(out.shape[1])]
    lines = []
    # an add (or sub) of a single-use matmul reads as x·W + b: expand the matmul's sum
    inline = [
        code in (ops.ADD, ops.SUB)
        and graph.nodes[k].op == ops.MATMUL
        and len(graph.consumers(k)) == 1
        and graph.nodes[graph.nodes[k].inputs[0]].op != ops.MATMUL
        for k in node.inputs
    ]
    for r, c in cells[:max_lines]:
        target = _cell(name, r, c, out.shape, sample)
        result = float(out[r, c])
        if code == ops.MATMUL:
            a_row = ins[0][r if ins[0].shape[0] > 1 else 0]
            lines.append(_pairs_line(target, a_row, ins[1][:, c], result, max_terms))
        elif code in (ops.ADD, ops.SUB) and sum(inline) == 1 and code == ops.ADD:
            n = inline.index(True)
            a, w = (np.asarray(value_of(q)) for q in graph.nodes[node.inputs[n]].inputs)
            other = _at(ins[1 - n], r, c)
            row = a[r if a.shape[0] > 1 else 0]
            lines.append(_pairs_line(target, row, w[:, c], result, max_terms, ((other,),)))
        elif code in (ops.ADD, ops.SUB):
            terms: list[tuple[float, ...]] = []
            tail: list[tuple[float, ...]] = []
            sign = (1.0, 1.0 if code == ops.ADD else -1.0)
            for n, (k, arr) in enumerate(zip(node.inputs, ins, strict=True)):
                if inline[n]:
                    a, w = (np.asarray(value_of(q)) for q in graph.nodes[k].inputs)
                    prods = [(_at(a, r, q), _at(w, q, c)) for q in range(a.shape[1])]
                    if sign[n] < 0:
                        prods = [(-1.0, *t) for t in prods]
                    terms.extend(prods)
                else:
                    v = _at(arr, r, c)
                    (tail if any(inline) else terms).append((v,) if sign[n] > 0 else (-1.0, v))
            if code == ops.SUB and not any(inline):
                line = Line(target, "sub", ((_at(ins[0], r, c),), (_at(ins[1], r, c),)), result)
                lines.append(line)
            else:
                lines.append(_sum_line(target, terms, result, max_terms, tail))
        elif code == ops.MUL:
            lines.append(Line(target, "sum", ((_at(ins[0], r, c), _at(ins[1], r, c)),), result))
        elif code == ops.SCALE:
            lines.append(Line(target, "sum", ((node.const, _at(ins[0], r, c)),), result))
        elif code == ops.IDENTITY:
            lines.append(Line(target, "sum", ((_at(ins[0], r, c),),), result))
        elif code in FUNCTIONS:
            lines.append(Line(target, FUNCTIONS[code], ((_at(ins[0], r, c),),), result))
        elif code == ops.DROPOUT:
            keep = 1.0 / (1.0 - node.const) if ins[1].any() else 1.0
            factors = (_at(ins[0], r, c), _at(ins[1], r, c), keep) if ins[1].any() else None
            if factors is None:  # evaluation: the op passes its input through
                factors = (_at(ins[0], r, c),)
            lines.append(Line(target, "sum", (factors,), result))
        elif code == ops.SOFTMAX:
            row = [(float(z),) for z in ins[0][r]]
            terms = [(float(ins[0][r, c]),), *row[:max_terms]]
            rest = _rest_exp(ins[0][r, max_terms:])
            lines.append(
                Line(target, "softmax", tuple(terms), result, rest, len(row) - len(row[:max_terms]))
            )
        else:
            return None
    return Arithmetic(_forward_title(node, sample, out.shape[0]), tuple(lines), len(cells))


def _forward_title(node, sample: int | None, rows: int) -> str:
    if node.rows is not None or rows == 1:
        return "from its inputs' values"
    if sample is None:
        return "from its inputs' values, row by row"
    return f"from its inputs' values, for sample {min(sample, rows - 1) + 1}"


def _reduce_line(node, ins, out, sample, max_terms) -> Line | None:
    """A reduction or a loss: the whole input (every row; a loss is a batch mean)."""
    code = node.op
    result = float(out[0, 0])
    a = ins[0]
    name = node.name
    if code in (ops.SUM, ops.MEAN):
        flat = [(float(v),) for v in a.ravel()]
        line = _sum_line(name, flat, result, max_terms)
        if code == ops.MEAN:
            line = Line(name, "mean", line.terms, result, line.rest, line.rest_count, n=a.size)
        return line
    if code == ops.L2:
        flat = [(float(v),) for v in a.ravel()]
        rest = _rest(flat[max_terms:], lambda t: t[0] * t[0])
        return Line(name, "l2", tuple(flat[:max_terms]), result, rest,
                    max(len(flat) - max_terms, 0), const=node.const)  # fmt: skip
    b = ins[1]
    n = a.size
    if code in (ops.MSE, ops.MAE, ops.BCE, ops.BCE_LOGITS):
        pa = a.ravel().astype(np.float64)
        if code == ops.BCE:
            eps = node.const
            pa = np.clip(pa, eps, 1.0 - eps)
        pairs = [(float(x), float(y)) for x, y in zip(pa, b.ravel(), strict=True)]
        op = ops.BY_CODE[code].name
        rest = _rest(pairs[max_terms:], _LOSS_TERM[op])
        return Line(name, op, tuple(pairs[:max_terms]), result, rest,
                    max(len(pairs) - max_terms, 0), n=n)  # fmt: skip
    if code == ops.SOFTMAX_CE:
        z = a.astype(np.float64)
        top = z.max(axis=1, keepdims=True)
        lse = (top + np.log(np.exp(z - top).sum(axis=1, keepdims=True)))[:, 0]
        triples = [
            (float(b[r, k]), float(lse[r]), float(z[r, k]))
            for r in range(z.shape[0])
            for k in range(z.shape[1])
            if b[r, k] != 0
        ]
        rest = _rest(triples[max_terms:], _LOSS_TERM["softmax_ce"])
        return Line(name, "softmax_ce", tuple(triples[:max_terms]), result, rest,
                    max(len(triples) - max_terms, 0), n=z.shape[0])  # fmt: skip
    return None


def lse_line(logits: np.ndarray, r: int, max_terms: int = MAX_TERMS) -> Line:
    """ln Σₖ e^z[r,k], the log-sum-exp softmax_ce uses for row r (from the logits' values)."""
    z = np.asarray(logits, np.float64)[r]
    top = z.max()
    value = float(top + math.log(np.exp(z - top).sum()))
    terms = tuple((float(v),) for v in z[:max_terms])
    rest = _rest_exp(z[max_terms:])
    return Line(f"lse[{r}]", "lse", terms, value, rest, max(len(z) - max_terms, 0))


_LOSS_TERM = {
    "mse": lambda t: (t[0] - t[1]) ** 2,
    "mae": lambda t: abs(t[0] - t[1]),
    "bce": lambda t: t[1] * math.log(t[0]) + (1 - t[1]) * math.log(1 - t[0]),
    "bce_logits": lambda t: (
        math.log1p(math.exp(t[0])) - t[1] * t[0] if t[0] < 30 else t[0] - t[1] * t[0]
    ),
    "softmax_ce": lambda t: t[0] * (t[1] - t[2]),
}


# ====================================================================== backward
def term_lines(
    graph,
    value_of: Callable[[int], np.ndarray],
    term,
    j: int,
    sample: int | None = None,
    *,
    max_terms: int = MAX_TERMS,
    max_lines: int = MAX_LINES,
    grad_name: str = "∂L/∂",
) -> Arithmetic | None:
    """What consumer `term.consumer`'s rule added to ∂L/∂node j, element by element: the
    upstream gradient times the local derivative, summed where the rule sums (None for the
    image ops, whose sums run over windows)."""
    c = term.consumer
    cnode, jnode = graph.nodes[c], graph.nodes[j]
    spec = ops.BY_CODE[cnode.op]
    up = np.asarray(term.upstream)
    contribution = np.asarray(term.contribution)
    jname, cname = jnode.name, cnode.name
    label = f"{grad_name}{jname}"
    batch = up.shape[0]
    if spec.kind in ("image", "shape"):
        return None
    if cnode.op == ops.MATMUL:
        a, b = cnode.inputs
        if a == b:
            return None
        if j == a:  # ∂L/∂a[r,k] = Σ_col upstream[r,col]·b[k,col]
            w = np.asarray(value_of(b))
            rows = _rows(contribution, jnode, sample)
            cells = [(r, k) for r in rows for k in range(contribution.shape[1])]
            lines = []
            for r, k in cells[:max_lines]:
                target = _cell(label, r, k, contribution.shape, sample)
                result = float(contribution[r, k])
                lines.append(_pairs_line(target, up[r], w[k], result, max_terms))
            bname = graph.nodes[b].name
            title = f"Σ over the columns of upstream × {bname}ᵀ"
            return Arithmetic(title, tuple(lines), len(cells))
        # ∂L/∂b[k,col] = Σ_r a[r,k]·upstream[r,col]
        x = np.asarray(value_of(a))
        aname = graph.nodes[a].name
        share = sample is not None and batch > 1
        s = min(sample, batch - 1) if share else 0
        results = np.outer(x[s], up[s]) if share else contribution
        cells = _nonzero_first(results, max_lines)
        lines = []
        for k, q in cells[:max_lines]:
            target = _cell(label, k, q, contribution.shape, None)
            if share:
                value = float(np.float64(x[s, k]) * np.float64(up[s, q]))
                lines.append(Line(target, "sum", ((float(x[s, k]), float(up[s, q])),), value))
            else:
                result = float(contribution[k, q])
                lines.append(_pairs_line(target, x[:, k], up[:, q], result, max_terms))
        if share:
            title = f"sample {s + 1}'s share: its {aname}ᵀ × its {grad_name}{cname}"
            note = f"{grad_name}{jname} sums the {batch} samples' shares; b shows them"
            return Arithmetic(title, tuple(lines), results.size, note)
        title = f"Σ over the {batch} rows of {aname}ᵀ × upstream"
        return Arithmetic(title, tuple(lines), results.size)
    if spec.kind == "rowwise":  # softmax: ∂L/∂z[r,i] = Σ_k upstream[r,k]·s[r,k](δ_ki − s[r,i])
        s_val = np.asarray(value_of(c), np.float64)
        rows = _rows(contribution, jnode, sample)
        cells = [(r, i) for r in rows for i in range(contribution.shape[1])]
        lines = []
        for r, i in cells[:max_lines]:
            jac = s_val[r] * ((np.arange(s_val.shape[1]) == i) - s_val[r, i])
            pairs = [(float(up[r, k]), float(jac[k])) for k in range(up.shape[1])]
            target = _cell(label, r, i, contribution.shape, sample)
            lines.append(_sum_line(target, pairs, float(contribution[r, i]), max_terms))
        title = f"Σ over the row of upstream × {cname}(δ − {cname}ᵀ)"
        return Arithmetic(title, tuple(lines), len(cells))
    if up.shape == (1, 1) and spec.kind in ("loss", "reduce"):
        local = np.asarray(term.local)
        rows = _rows(contribution, jnode, sample)
        cells = [(r, k) for r in rows for k in range(contribution.shape[1])]
        lines = [
            Line(_cell(label, r, k, contribution.shape, sample), "sum",
                 ((float(up[0, 0]), float(local[r, k])),), float(contribution[r, k]))
            for r, k in cells[:max_lines]
        ]  # fmt: skip
        title = "upstream × local"
        return Arithmetic(title, tuple(lines), len(cells))
    if spec.kind != "elementwise":
        return None
    if contribution.shape == up.shape:  # no broadcast: element by element
        local = np.asarray(term.local)
        rows = _rows(contribution, jnode, sample)
        cells = [(r, k) for r in rows for k in range(contribution.shape[1])]
        lines = [
            Line(_cell(label, r, k, contribution.shape, sample), "sum",
                 ((float(up[r, k]), float(local[r, k])),), float(contribution[r, k]))
            for r, k in cells[:max_lines]
        ]  # fmt: skip
        title = "upstream × local, element by element"
        return Arithmetic(title, tuple(lines), len(cells))
    # broadcast (a bias added to every row): the rule sums over the rows
    per_row = _broadcast_local(graph, value_of, cnode, j, up.shape)
    if per_row is None:
        return None
    cells = [(0, q) for q in range(contribution.shape[1])]
    lines = []
    for _, q in cells[:max_lines]:
        terms = [
            (float(up[r, q]),) if per_row[r, q] == 1.0 else (float(up[r, q]), float(per_row[r, q]))
            for r in range(batch)
        ]
        target = _cell(label, 0, q, contribution.shape, None)
        lines.append(_sum_line(target, terms, float(contribution[0, q]), max_terms))
    local = "1" if np.all(per_row == 1.0) else "the local derivative"
    title = f"Σ over the {batch} rows of upstream" + ("" if local == "1" else f" × {local}")
    return Arithmetic(title, tuple(lines), len(cells))


def _broadcast_local(graph, value_of, cnode, j, shape) -> np.ndarray | None:
    """The local derivative, row by row, of an elementwise op whose input j is broadcast."""
    a, b = (cnode.inputs + (None,))[:2]
    if cnode.op == ops.ADD:
        return np.ones(shape)
    if cnode.op == ops.SUB:
        return np.full(shape, 1.0 if j == a else -1.0)
    if cnode.op == ops.MUL and a != b:
        other = np.asarray(value_of(b if j == a else a), np.float64)
        return np.broadcast_to(other, shape)
    return None


def fanout_lines(
    report, sample: int | None = None, grad_name: str = "∂L/∂", name=""
) -> Arithmetic | None:
    """∂L/∂node as the sum of its consumers' contributions, element by element."""
    if report.total is None or len(report.terms) < 2:
        return None
    total = np.asarray(report.total)
    batched = total.shape[0] > 1 and sample is not None
    rows = [min(sample, total.shape[0] - 1)] if batched else range(total.shape[0])
    cells = [(r, k) for r in rows for k in range(total.shape[1])]
    lines = []
    for r, k in cells[:MAX_LINES]:
        terms = tuple((float(np.asarray(t.contribution)[r, k]),) for t in report.terms)
        target = _cell(f"{grad_name}{name}", r, k, total.shape, sample if batched else None)
        lines.append(Line(target, "sum", terms, float(total[r, k])))
    return Arithmetic(f"Σ over the {len(report.terms)} consumers", tuple(lines), len(cells))


# ====================================================================== helpers
def _nonzero_first(results: np.ndarray, max_lines: int) -> list[tuple[int, int]]:
    """Up to max_lines cells of a matrix, in order, those that are not 0 first (a weight
    matrix over an image's pixels has whole rows of zero gradient)."""
    flat = results.ravel()
    chosen = np.flatnonzero(flat)[:max_lines]
    if len(chosen) < max_lines:
        zeros = np.flatnonzero(flat == 0)[: max_lines - len(chosen)]
        chosen = np.sort(np.concatenate([chosen, zeros]))
    cols = results.shape[1]
    return [(int(e) // cols, int(e) % cols) for e in chosen]


def _rows(arr: np.ndarray, node, sample: int | None) -> list[int]:
    if sample is not None and node.rows is None and arr.shape[0] > 1:
        return [min(sample, arr.shape[0] - 1)]
    return list(range(arr.shape[0]))


def _at(arr: np.ndarray, r: int, c: int) -> float:
    """arr[r, c], a one-row array broadcast over the rows."""
    return float(arr[r if arr.shape[0] > 1 else 0, c])


def _cell(name: str, r: int, c: int, shape, sample: int | None) -> str:
    rows, cols = shape
    if sample is not None or rows == 1:
        return name if cols == 1 else f"{name}[{c}]"
    if cols == 1:
        return f"{name}[{r}]"
    return f"{name}[{r},{c}]"


def _pairs_line(target: str, a, b, result: float, max_terms: int, tail=()) -> Line:
    """result = Σₖ a[k]·b[k] (+ tail): the products that add something listed first (an
    image's rows of 0 pixels say nothing), the unlisted ones summed in float64."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    order = np.arange(a.size)
    if a.size > max_terms:
        zero = (a == 0) | (b == 0)
        order = np.concatenate([np.flatnonzero(~zero), np.flatnonzero(zero)])
    shown, hidden = order[:max_terms], order[max_terms:]
    terms = tuple((float(a[k]), float(b[k])) for k in shown)
    rest = float(np.dot(a[hidden], b[hidden])) if hidden.size else None
    return Line(target, "sum", terms, result, rest, int(hidden.size),
                tail=tuple(tuple(t) for t in tail))  # fmt: skip


def _sum_line(target: str, terms, result: float, max_terms: int, tail=()) -> Line:
    terms = [tuple(t) for t in terms]
    if len(terms) > max_terms:  # list the terms that add something (a sparse input has many 0s)
        terms = [t for t in terms if 0.0 not in t] + [t for t in terms if 0.0 in t]
    shown = terms[:max_terms]
    rest = _rest(terms[max_terms:], math.prod)
    return Line(target, "sum", tuple(shown), result, rest, len(terms) - len(shown),
                tail=tuple(tuple(t) for t in tail))  # fmt: skip


def _rest(terms, f) -> float | None:
    if not terms:
        return None
    return float(sum(f(t) for t in terms))


def _rest_exp(values) -> float | None:
    values = np.asarray(values, np.float64)
    return float(np.exp(values).sum()) if values.size else None


# ====================================================================== as text
def _expression(line: Line, num: Callable[[float], str]) -> str:
    def n(x: float) -> str:
        s = num(x)
        return f"({s})" if s.startswith("-") else s

    def more(word: str = "more") -> str:
        if line.rest is None:
            return ""
        return f" + {line.rest_count} {word} ({num(line.rest)})"

    op, t = line.op, line.terms
    if op in ("sum", "mean"):
        body = " + ".join("·".join(n(f) for f in term) for term in t) + more()
        body += "".join(" + " + "·".join(n(f) for f in term) for term in line.tail)
        return body if op == "sum" else f"({body})/{line.n}"
    if op in ("σ", "tanh", "relu", "H"):
        return f"{op}({num(t[0][0])})"
    if op == "sub":
        return f"{n(t[0][0])} − {n(t[1][0])}"
    if op == "l2":
        return f"{n(line.const)}·(" + " + ".join(f"{n(a)}²" for (a,) in t) + more() + ")"
    if op == "mse":
        return "(" + " + ".join(f"({n(a)} − {n(b)})²" for a, b in t) + more() + f")/{line.n}"
    if op == "mae":
        return "(" + " + ".join(f"|{n(a)} − {n(b)}|" for a, b in t) + more() + f")/{line.n}"
    if op == "bce":
        parts = []
        for p, y in t:
            if y == 1.0:
                parts.append(f"ln({num(p)})")
            elif y == 0.0:
                parts.append(f"ln(1 − {num(p)})")
            else:
                parts.append(f"{n(y)}·ln({num(p)}) + {n(1 - y)}·ln(1 − {num(p)})")
        return "−(" + " + ".join(parts) + more() + f")/{line.n}"
    if op == "bce_logits":
        parts = []
        for z, y in t:
            part = f"ln(1 + e^({num(z)}))"
            if y != 0.0:
                part += f" − {n(y)}·{n(z)}"
            parts.append(part)
        return "(" + " + ".join(parts) + more() + f")/{line.n}"
    if op == "softmax_ce":
        parts = [f"{n(y)}·({num(lse)} − {n(z)})" for y, lse, z in t]
        return "(" + " + ".join(parts) + more() + f")/{line.n}"
    if op == "lse":
        return "ln(" + " + ".join(f"e^({num(z)})" for (z,) in t) + more() + ")"
    if op == "softmax":
        top = f"e^({num(t[0][0])})"
        return f"{top}/(" + " + ".join(f"e^({num(z)})" for (z,) in t[1:]) + more() + ")"
    raise ValueError(f"unknown line op {op!r}")

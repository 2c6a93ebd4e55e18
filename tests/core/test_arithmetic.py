"""nnviz.arithmetic's lines hold the engine's numbers and add up at full precision: every
forward line, chain-rule term and fan-out sum of several scenarios, in sample and batch mode,
re-evaluated from its own terms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nnviz import arithmetic, explain
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.stepper import Stepper


def evaluate(line: arithmetic.Line) -> float:
    """The line's result from its terms, written independently of nnviz.arithmetic."""
    t, rest = line.terms, line.rest or 0.0
    if line.op in ("sum", "mean"):
        total = sum(math.prod(term) for term in t + line.tail) + rest
        return total if line.op == "sum" else total / line.n
    x = t[0][0] if t else 0.0
    if line.op == "σ":
        return 1 / (1 + math.exp(-x))
    if line.op == "tanh":
        return math.tanh(x)
    if line.op == "relu":
        return max(x, 0.0)
    if line.op == "H":
        return float(x > 0)
    if line.op == "sub":
        return t[0][0] - t[1][0]
    if line.op == "l2":
        return line.const * (sum(a * a for (a,) in t) + rest)
    if line.op == "mse":
        return (sum((a - b) ** 2 for a, b in t) + rest) / line.n
    if line.op == "mae":
        return (sum(abs(a - b) for a, b in t) + rest) / line.n
    if line.op == "bce":
        s = sum(y * math.log(p) + (1 - y) * math.log(1 - p) for p, y in t)
        return -(s + rest) / line.n
    if line.op == "bce_logits":
        return (sum(math.log1p(math.exp(z)) - y * z for z, y in t) + rest) / line.n
    if line.op == "softmax_ce":
        return (sum(y * (lse - z) for y, lse, z in t) + rest) / line.n
    if line.op == "lse":
        return math.log(sum(math.exp(z) for (z,) in t) + rest)
    if line.op == "softmax":
        return math.exp(t[0][0]) / (sum(math.exp(z) for (z,) in t[1:]) + rest)
    raise AssertionError(f"op {line.op} has no evaluation here")


def _check(arith, where: str) -> int:
    if arith is None:
        return 0
    for line in arith.lines:
        got = evaluate(line)
        assert got == pytest.approx(line.result, rel=2e-4, abs=1e-6), (where, line)
    return len(arith.lines)


@pytest.mark.parametrize(
    "name",
    [
        "xor",
        "circles",
        "chain",
        "mnist",
        "mnist-cnn",
        "spiral",
        "vanishing-relu",
        "perceptron",
        str(Path(__file__).parent / "golden" / "l2-nesterov.toml"),
    ],  # fmt: skip
)
def test_every_line_adds_up_from_its_terms(name):
    session = build(load_scenario(name))
    stepper = Stepper.of(session)
    stepper.to_update()
    p, graph = session.model.program, session.model.graph
    checked = 0
    batch = p.batch
    for sample in (None, 0, batch - 1):
        for i in range(len(p)):
            checked += _check(arithmetic.forward_lines(graph, p.value, i, sample), graph.nodes[i])
        for j, report in explain.chain_rules(p).items():
            for term in report.terms:
                arith = arithmetic.term_lines(graph, p.value, term, j, sample)
                checked += _check(arith, (j, term.consumer))
            checked += _check(arithmetic.fanout_lines(report, sample), j)
    assert checked > 20


def test_a_broadcast_bias_sums_the_rows_of_its_upstream():
    session = build(load_scenario("xor"))
    Stepper.of(session).to_update()
    p, graph = session.model.program, session.model.graph
    b2, z2 = graph.find("b2"), graph.find("z2")
    (term,) = explain.chain_rule(p, b2).terms
    arith = arithmetic.term_lines(graph, p.value, term, b2, sample=1)
    assert arith.title.startswith("Σ over the 4 rows")
    (line,) = arith.lines
    assert [t[0] for t in line.terms] == [float(v) for v in p.grad(z2)[:, 0]]
    assert line.result == float(p.grad(b2)[0, 0])


def test_a_weight_shows_the_sample_share_or_the_batch_sum():
    session = build(load_scenario("xor"))
    Stepper.of(session).to_update()
    p, graph = session.model.program, session.model.graph
    w2, u1, mm = graph.find("W2"), graph.find("u1"), graph.find("u1W2")
    (term,) = explain.chain_rule(p, w2).terms
    share = arithmetic.term_lines(graph, p.value, term, w2, sample=2)
    assert [ln.terms for ln in share.lines] == [
        ((float(p.value(u1)[2, k]), float(p.grad(mm)[2, 0])),) for k in range(4)
    ]
    whole = arithmetic.term_lines(graph, p.value, term, w2, sample=None)
    np.testing.assert_array_equal([ln.result for ln in whole.lines], p.grad(w2)[:, 0])
    assert all(len(ln.terms) == 4 for ln in whole.lines)


def test_z2_reads_as_u1_times_w2_plus_b2():
    session = build(load_scenario("xor"))
    Stepper.of(session).to_update()
    p, graph = session.model.program, session.model.graph
    arith = arithmetic.forward_lines(graph, p.value, graph.find("z2"), sample=0)
    (line,) = arith.lines
    u1, w2, b2 = p.value("u1"), p.value("W2"), p.value("b2")
    assert line.terms == tuple((float(u1[0, k]), float(w2[k, 0])) for k in range(4))
    assert line.tail == ((float(b2[0, 0]),),)

"""The inspector's arithmetic adds up: for every node of several scenarios, in sample mode and
in whole-batch mode, before, during and after the backward pass, each displayed line
`target = expression = result` is re-computed from the numbers it displays and checked against
its displayed result within the rounding of the display."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from nnviz.explorer import DONE, Controller
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.tui.widgets.inspector import inspector_text

L2_SCENARIO = str(Path(__file__).parents[1] / "core" / "golden" / "l2-nesterov.toml")

_NUMBER = re.compile(r"(?<![\w.^])(\d+(?:\.\d+)?(?:e-?\d+)?)")
_FUNCS = {
    "sig": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "tanh": math.tanh,
    "relu": lambda x: max(x, 0.0),
    "heav": lambda x: 1.0 if x > 0 else 0.0,
    "log": math.log,
    "exp": math.exp,
    "abs": abs,
}


def _half_ulp(literal: str) -> float:
    """Half the last displayed digit of a number shown with 3 significant digits."""
    x = float(literal)
    if x == 0:
        return 0.0
    return 0.5 * 10 ** (math.floor(math.log10(abs(x))) - 2)


def _python(expr: str) -> tuple[str, list[float], list[float]]:
    """The expression as Python over v[0], v[1], … and each number's rounding."""
    s = re.sub(r"\d+ more \(", "(", expr)  # the terms not listed, summed
    s = s.replace("·", "*").replace("−", "-").replace("²", "**2")
    s = s.replace("σ(", "sig(").replace("H(", "heav(").replace("ln(", "log(")
    s = s.replace("e^(", "exp(")
    s = re.sub(r"\|([^|]*)\|", r"abs(\1)", s)
    values, deltas = [], []

    def name(m: re.Match) -> str:
        start = m.start()
        exact = s[max(start - 1, 0)] == "/" or s[start:].startswith(("1 - ", "1 + "))
        exact = exact or s[max(start - 2, 0) : start] == "**"
        values.append(float(m.group(1)))
        deltas.append(0.0 if exact else _half_ulp(m.group(1)))
        return f"v[{len(values) - 1}]"

    return _NUMBER.sub(name, s), values, deltas


def check_line(text: str) -> None:
    """Fails when the displayed expression does not give the displayed result."""
    parts = text.split(" = ")
    assert len(parts) == 3, text
    code, values, deltas = _python(parts[1])
    result = float(parts[2])
    f = eval(f"lambda v: {code}", dict(_FUNCS))  # noqa: S307 (the test's own text)
    got = f(values)
    bound = 0.0
    for k, d in enumerate(deltas):
        if not d:
            continue
        moves = []
        for sign in (1, -1):
            moved = list(values)
            moved[k] += sign * d
            moves.append(abs(f(moved) - got))
        bound += max(moves)
    bound = bound * 1.05 + _half_ulp(parts[2]) + 1e-9 * max(1.0, abs(result))
    assert abs(got - result) <= bound, f"{text}: the numbers give {got:.6g}, not {result}"


def test_the_checker_catches_a_wrong_line():
    check_line("∂L/∂b₂ = 0.149 + (-0.104) + (-0.0962) + 0.151 = 0.0999")
    check_line("z₂ = 0.622·0.5 + 0.766·(-0.653) + 2 more (0.022) + 0.508 = 0.342")
    check_line("L = −(ln(1 − 0.596) + ln(0.585) + 2 more (-1.41))/4 = 0.714")
    with pytest.raises(AssertionError):  # the row count is not the local derivative
        check_line("∂L/∂b₂ = 0.149·4 = 0.0999")
    with pytest.raises(AssertionError):
        check_line("u₁[0] = σ(0.5) = 0.6")
    with pytest.raises(AssertionError):
        check_line("∂L/∂W₂[0] = 0.622·(-0.104) = -0.0656")


def _controller(name: str) -> Controller:
    return Controller(build(load_scenario(name)))


def _render_all(ctl: Controller, width: int) -> int:
    """Every node in both modes; the number of lines checked."""
    snap = ctl.snapshot()
    checked = 0
    samples = [0] if snap.batch <= 1 else [0, snap.batch - 1]
    for i in range(ctl.n):
        for whole in (False, True):
            for sample in samples if not whole else [0]:
                text, shown = inspector_text(ctl, snap, i, sample, whole, None, "", width=width)
                plain = text.plain
                flat = " ".join(plain.split())  # a long line is folded at its plus signs
                for line in shown.get("lines", []):
                    assert " ".join(line.split()) in flat, (line, plain)
                    check_line(line)
                    checked += 1
                assert "✗" not in plain, plain
    return checked


@pytest.mark.parametrize("name", ["xor", "circles", "chain", L2_SCENARIO])
def test_every_line_adds_up_through_a_step(name):
    ctl = _controller(name)
    checked = 0
    for _ in range(60):  # micro-steps: the forward pass, the backward pass, the update
        ctl.micro()
        checked += _render_all(ctl, 72)
        if ctl.phase == DONE:
            break
    assert ctl.phase == DONE
    checked += _render_all(ctl, 120)
    ctl.step()  # a second step (the first one's update changed the parameters)
    checked += _render_all(ctl, 60)
    assert checked > 50


def test_mnist_lines_add_up():
    ctl = _controller("mnist")
    for _ in range(4):
        ctl.micro()
    checked = _render_all(ctl, 72)  # mid forward pass
    while ctl.stepper.backward_from > ctl.n // 2 or not ctl.stepper.seeded:
        ctl.micro()
    checked += _render_all(ctl, 72)  # mid backward pass
    ctl.step()
    checked += _render_all(ctl, 100)
    assert checked > 50


def test_xor_b2_is_the_sum_of_its_four_upstream_values():
    ctl = _controller("xor")
    ctl.step()
    snap = ctl.snapshot()
    b2 = ctl.graph.find("b2")
    z2 = ctl.graph.find("z2")
    text, shown = inspector_text(ctl, snap, b2, 0, False, None, "", width=80)
    assert "Σ over the 4 rows" in text.plain
    upstream = ctl.view(snap.grads, z2, snap.batch)[:, 0]
    (line,) = shown["lines"]
    terms = line.split(" = ")[1].split(" + ")
    assert len(terms) == 4
    shown_values = [float(t.strip("()")) for t in terms]
    np.testing.assert_allclose(shown_values, upstream, rtol=5e-3)
    assert "× local  [4]" not in text.plain


def test_matmul_sample_and_batch_modes():
    ctl = _controller("xor")
    ctl.step()
    snap = ctl.snapshot()
    w2 = ctl.graph.find("W2")
    sample_text, sample_shown = inspector_text(ctl, snap, w2, 1, False, None, "", width=100)
    batch_text, batch_shown = inspector_text(ctl, snap, w2, 1, True, None, "", width=100)
    assert "sample 2's share" in sample_text.plain
    assert "ᵀ·\n" not in sample_text.plain.replace("local ∂u₁W₂/∂W₂ = u₁ᵀ·\n", "")
    # sample mode: one product per element; batch mode: the sum over the 4 rows
    assert all(line.count("·") == 1 for line in sample_shown["lines"])
    assert all(line.count("·") == 4 for line in batch_shown["lines"])
    grad = ctl.view(snap.grads, w2, snap.batch)[:, 0]
    results = [float(line.split(" = ")[-1]) for line in batch_shown["lines"]]
    np.testing.assert_allclose(results, grad, rtol=5e-3)


def test_forward_line_after_the_update_uses_the_parameters_the_pass_used():
    ctl = _controller("xor")
    ctl.step()  # the buffers hold the pass before the update; W2 and b2 have moved since
    snap = ctl.snapshot()
    z2 = ctl.graph.find("z2")
    _, shown = inspector_text(ctl, snap, z2, 0, False, None, "", width=120)
    line = shown["lines"][0]  # the forward line (the chain rule's follow)
    check_line(line)
    old_b2 = snap.update.params[[p.name for p in snap.update.params].index("b2")].old
    assert line.split(" = ")[1].endswith(f"+ {float(old_b2[0, 0]):.3g}")


def test_the_inspector_update_header_names_the_scheduled_rate():
    ctl = Controller(build(load_scenario(L2_SCENARIO)))
    for _ in range(7):
        ctl.step()
    snap = ctl.snapshot()
    text, _ = inspector_text(ctl, snap, ctl.graph.find("W1"), 0, False, None, "", width=100)
    assert "update 7 (nesterov, lr 0.1 = 0.2·0.5¹)" in text.plain

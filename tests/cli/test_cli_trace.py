"""`nnviz trace`: several steps in one run, what a checker needs to recompute a step without
the scenario, non-finite numbers written visibly, and the teaching reports (--explain)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest


def _lines(ran) -> list[dict]:
    assert ran.code == 0, ran.stderr
    return [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]


def test_a_range_of_steps_equals_the_steps_traced_one_by_one(invoke):
    many = _lines(invoke("trace", "circles", "--steps", "2:4", "--json"))
    assert [o["event"] for o in many] == ["step"] * 3
    assert [o["step"] for o in many] == [2, 3, 4]
    for o in many:
        (alone,) = _lines(invoke("trace", "circles", "--steps", str(o["step"]), "--json"))
        assert o == alone
    # consecutive: each step starts from the parameters the one before left
    for a, b in zip(many, many[1:], strict=False):
        for pa, pb in zip(a["params"], b["params"], strict=True):
            assert pa["after"] == pb["before"]


@pytest.mark.parametrize("bad", ["0:2", "3:2", "x", "-1", "1:"])
def test_a_bad_step_range_is_one_line(invoke, bad):
    ran = invoke("trace", "xor", "--steps", bad)
    assert ran.code == 2 and "--steps" in ran.stderr and len(ran.stderr.splitlines()) == 1


def test_a_step_can_be_recomputed_from_its_json_alone(invoke):
    """Adam's update, recomputed in the traced dtype from the traced numbers only."""
    (o,) = _lines(invoke("trace", "xor", "--optimizer", "adam", "--lr", "0.1", "--steps", "3",
                         "--json"))  # fmt: skip
    hp = o["hyperparameters"]
    assert (hp["kind"], hp["t"], o["dtype"], o["lr_used"]) == ("adam", 3, "float32", hp["lr_now"])
    assert o["data"]["name"] == "xor" and o["batch_rows"] == [0, 1, 2, 3]
    dt = np.dtype(o["dtype"])
    b1, b2, eps = (dt.type(hp[k]) for k in ("beta1", "beta2", "eps"))
    lr, t = dt.type(o["lr_used"]), hp["t"]
    for p in o["params"]:
        g = np.array(p["grad"], dt)
        m = np.array(p["state"]["m"], dt)
        v = np.array(p["state"]["v"], dt)
        before, after = np.array(p["before"], dt), np.array(p["after"], dt)
        # the state after this update, and the update from it (PyTorch's formula)
        step = lr / (1.0 - float(b1) ** t)
        expected = before - dt.type(step) * m / (np.sqrt(v) / np.sqrt(1.0 - float(b2) ** t) + eps)
        np.testing.assert_allclose(after, expected, rtol=1e-5, atol=1e-6)  # float32 rounding
        assert g.shape == before.shape


def test_the_rate_a_schedule_gives_is_the_rate_used(invoke, tmp_path):
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "core" / "golden" / "l2-nesterov.toml"
    # 40 rows in batches of 16: 3 steps an epoch; the rate halves every 2 epochs (step 7 on)
    (o6,) = _lines(invoke("trace", str(src), "--steps", "6", "--json"))
    (o7,) = _lines(invoke("trace", str(src), "--steps", "7", "--json"))
    assert (o6["epoch"], o7["epoch"]) == (2, 3)
    assert o6["lr_used"] == 0.2 and o7["lr_used"] == 0.1
    assert o7["lr"] == 0.2  # the base rate the schedule scales


def test_non_finite_numbers_are_written_visibly(invoke):
    ran = invoke("trace", "sine", "--lr", "1e30", "--steps", "2", "--json")
    (o,) = _lines(ran)  # strict JSON: json.loads would take NaN, so look at the text too
    assert "NaN" not in ran.stdout and "Infinity" not in ran.stdout
    assert o["nonfinite"] is True
    values = [x for node in o["nodes"] for row in node["value"] for x in row]
    assert set(values) & {"nan", "inf", "-inf"}
    text = invoke("trace", "sine", "--lr", "1e30", "--steps", "2")
    assert text.code == 0 and ("NaN" in text.stdout or "inf" in text.stdout)
    finite = _lines(invoke("trace", "sine", "--steps", "1", "--json"))[0]
    assert finite["nonfinite"] is False


def test_explain_shows_the_chain_rule_update_and_check(invoke):
    (o,) = _lines(invoke("trace", "xor", "--steps", "1", "--explain", "--json"))
    ex = o["explain"]
    nodes = {n["name"]: n for n in o["nodes"]}
    chains = {c["node"]: c for c in ex["chain"]}
    # every node with a gradient has its chain rule, and the contributions sum to it
    assert set(chains) == {n for n, node in nodes.items() if node["grad"] is not None}
    assert chains["L"]["seed"]
    for name, c in chains.items():
        if c["seed"]:
            continue
        total = sum(np.array(t["contribution"]) for t in c["terms"])
        np.testing.assert_array_equal(total, np.array(nodes[name]["grad"]))
    (term,) = chains["z1"]["terms"]
    assert term["consumer"] == "u1" and term["local_rule"] == "u1(1 − u1)"
    u1 = np.array(nodes["u1"]["value"])
    np.testing.assert_allclose(term["local"], u1 * (1 - u1), rtol=1e-6)
    np.testing.assert_allclose(
        term["contribution"], np.array(term["upstream"]) * np.array(term["local"]), rtol=1e-6
    )
    checks = {c["param"]: c for c in ex["check"]}
    assert set(checks) == {"W1", "b1", "W2", "b2"}
    assert all(c["max_rel_error"] < 1e-3 and c["elements"] for c in checks.values())
    assert ex["update"]["rule"].startswith("θ ← θ − lr")
    text = invoke("trace", "xor", "--steps", "1", "--explain")
    assert "chain rule: ∂L/∂z1" in text.stdout and "gradient check W1" in text.stdout


def test_explain_on_a_graph_shows_both_modes(invoke):
    (o,) = _lines(invoke("trace", "chain", "--explain", "--json"))
    assert o["event"] == "graph"
    assert o["forward_mode"] == o["reverse_mode"] == {"x": 5.0, "y": -1.0}
    assert {c["node"] for c in o["explain"]["chain"]} >= {"x", "y", "s", "p", "f"}
    text = invoke("trace", "chain", "--explain").stdout
    assert "forward mode, one pass per input" in text


_SCHEDULED = str(Path(__file__).parents[1] / "core" / "golden" / "l2-nesterov.toml")


def test_trace_shows_the_scheduled_rate(invoke):
    ran = invoke("trace", _SCHEDULED, "--steps", "7", "--json")
    assert ran.code == 0, ran.stderr
    step = json.loads(ran.stdout.splitlines()[0])
    assert step["lr"] == pytest.approx(0.2)
    assert step["lr_used"] == pytest.approx(0.1) and step["lr_formula"] == "0.2·0.5¹"
    text = invoke("trace", _SCHEDULED, "--steps", "7").stdout
    assert "(nesterov, lr 0.1 = 0.2·0.5¹)" in " ".join(text.split())

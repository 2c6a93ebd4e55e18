"""`nnviz check` and `nnviz trace`: gradient checks, and traced numbers against a Session
stepped by hand and against the course's worked examples."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nnviz.scenario import load_scenario
from nnviz.session import build


def _one(ran) -> dict:
    assert ran.code == 0, ran.stderr
    (out,) = ran.json_lines()
    return out


def _node(out: dict, name: str) -> dict:
    return next(n for n in out["nodes"] if n["name"] == name)


def _param(out: dict, name: str) -> dict:
    return next(p for p in out["params"] if p["name"] == name)


# ================================================================ check
def test_check_xor_all_ok(invoke):
    ran = invoke("check", "xor")
    assert ran.code == 0, ran.stderr
    assert "gradient check: xor" in ran.stdout
    for name in ("W1", "b1", "W2", "b2"):
        assert name in ran.stdout
    assert " NO " not in ran.stdout and "yes" in ran.stdout


def test_check_xor_json(invoke):
    ran = invoke("check", "xor", "--json")
    assert ran.code == 0, ran.stderr
    rows = ran.events("gradient")
    assert [r["param"] for r in rows] == ["W1", "b1", "W2", "b2"]
    assert [r["size"] for r in rows] == [8, 4, 4, 1]
    for r in rows:
        assert r["ok"] is True
        assert r["checked"] == r["size"]  # fewer than --elements: all of them
        assert r["max_abs_error"] < 1e-6
    assert ran.json_lines()[-1] == {
        "event": "check", "schema": 1, "scenario": "xor", "ok": True, "params": 4, "failed": [],
    }  # fmt: skip


def test_check_elements_limits_the_count(invoke):
    rows = invoke("check", "xor", "--json", "--elements", "2").events("gradient")
    assert [r["checked"] for r in rows] == [2, 2, 2, 1]


def test_check_chain(invoke):
    ran = invoke("check", "chain", "--json")
    assert ran.code == 0, ran.stderr
    rows = ran.events("gradient")
    assert {r["param"] for r in rows} == {"x", "y"}
    assert all(r["ok"] for r in rows)
    text = invoke("check", "chain")
    assert text.code == 0 and "gradient check: chain" in text.stdout


# ================================================ trace: an MLP against a hand-stepped Session
def _hand_session(name: str, steps_before: int = 0):
    """A Session built by hand, `steps_before` trainer steps taken, then one step's passes by
    the stepping protocol of nnviz.train (node by node, the loss seeded, back down)."""
    session = build(load_scenario(name))
    trainer, program, opt = session.trainer, session.model.program, session.optimizer
    for _ in range(steps_before):
        trainer.step()
    rows = trainer.feed_next_batch()
    opt.zero_grad()
    for i in range(len(program)):
        program.forward(i, i + 1)
    program.seed()
    for i in reversed(range(len(program))):
        program.backward(i, i + 1)
    return session, rows


@pytest.mark.parametrize("steps", [1, 3])
def test_trace_xor_matches_a_session_stepped_by_hand(invoke, steps):
    out = _one(invoke("trace", "xor", "--steps", str(steps), "--json"))
    assert out["step"] == steps and out["scenario"] == "xor"
    session, rows = _hand_session("xor", steps_before=steps - 1)
    program = session.model.program
    assert out["batch_rows"] == [int(r) for r in rows]
    assert out["loss"] == pytest.approx(float(program.value(program.graph.loss)[0, 0]), rel=1e-6)
    before = {name: value.copy() for name, value in program.params().items()}

    session.optimizer.step()  # the update the trace shows
    for name in ("W1", "b1", "W2", "b2"):
        traced = _param(out, name)
        np.testing.assert_allclose(traced["grad"], program.grad(name), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(traced["before"], before[name], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(traced["after"], program.value(name), rtol=1e-6, atol=1e-7)
    w1 = _param(out, "W1")
    assert np.abs(w1["grad"]).max() > 0  # a real gradient, not zeros
    np.testing.assert_allclose(_node(out, "W1")["grad"], w1["grad"])
    # plain SGD: after = before - lr * grad
    np.testing.assert_allclose(
        np.array(w1["after"]),
        np.array(w1["before"]) - out["lr"] * np.array(w1["grad"]),
        rtol=1e-5,
        atol=1e-6,
    )
    assert out["lr"] == 0.5 and out["optimizer"] == "sgd"


def test_trace_xor_steps_0_has_no_update(invoke):
    out = _one(invoke("trace", "xor", "--steps", "0", "--json"))
    assert out["step"] == 0
    for p in out["params"]:
        assert p["after"] == p["before"]
        assert np.abs(np.array(p["grad"])).max() > 0  # the backward pass still ran
    session, _ = _hand_session("xor")
    np.testing.assert_allclose(_param(out, "W1")["grad"], session.model.program.grad("W1"))


def test_trace_text(invoke):
    ran = invoke("trace", "xor", "--steps", "1")
    assert ran.code == 0, ran.stderr
    assert "xor: step 1 (sgd, lr 0.5)" in ran.stdout
    assert "update W1" in ran.stdout and "before:" in ran.stdout and "after:" in ran.stdout


# ====================================================== trace: the course's examples
def test_trace_chain_forward_and_reverse_mode(invoke):
    out = _one(invoke("trace", "chain", "--json"))
    assert out["output"] == "f"
    values = {n["name"]: n["value"][0][0] for n in out["nodes"]}
    assert values["x"] == 1.0 and values["y"] == 2.0
    assert values["s"] == 3.0 and values["p"] == -1.0
    assert values["f"] == -3.0
    assert out["reverse_mode"] == {"x": 5.0, "y": -1.0}  # df/dx = p + 2s, df/dy = p
    assert out["forward_mode"] == out["reverse_mode"]
    assert _node(out, "x")["grad"] == [[5.0]] and _node(out, "y")["grad"] == [[-1.0]]

    text = invoke("trace", "chain")
    assert text.code == 0, text.stderr
    assert "∂f/∂x: reverse mode 5, forward mode 5" in text.stdout
    assert "∂f/∂y: reverse mode -1, forward mode -1" in text.stdout


def test_trace_perceptron_the_courses_numbers(invoke):
    sc = load_scenario("perceptron")
    # mse over the full batch of the 4-row OR table: L = (1/4) sum (p - y)^2, so
    # dL/dw_k = (1/4) sum 2 (p - y) p (1 - p) X_k and dL/db = (1/4) sum 2 (p - y) p (1 - p)
    assert sc.model.loss == "mse" and sc.training.batch_size == 0

    out = _one(invoke("trace", "perceptron", "--steps", "0", "--json"))
    assert out["batch_rows"] == [0, 1, 2, 3]
    X = np.array(_node(out, "x")["value"])
    y = np.array(_node(out, "y")["value"])[:, 0]
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 1])

    h = np.array(_node(out, "z1")["value"])[:, 0]
    np.testing.assert_allclose(h, [-0.5, -1.5, 0.5, -0.5])
    p = np.array(_node(out, "p")["value"])[:, 0]
    assert list(np.round(p, 2)) == [0.38, 0.18, 0.62, 0.38]

    exact_p = 1 / (1 + np.exp(-np.array([-0.5, -1.5, 0.5, -0.5])))
    common = 2 * (exact_p - y) * exact_p * (1 - exact_p)
    grad_w1 = np.array(_param(out, "W1")["grad"])[:, 0]
    expected = [common @ X[:, 0] / 4, common @ X[:, 1] / 4]
    np.testing.assert_allclose(grad_w1, expected, rtol=1e-5)
    assert grad_w1[0] == pytest.approx(-0.1175, abs=1e-4)
    np.testing.assert_allclose(_param(out, "b1")["grad"], [[common.mean()]], rtol=1e-5)
    assert out["loss"] == pytest.approx(np.mean((exact_p - y) ** 2), rel=1e-6)
    for prm in out["params"]:
        assert prm["after"] == prm["before"]  # step 0: no update


def test_check_exits_1_when_a_gradient_disagrees(invoke, monkeypatch):
    import nnviz.engine.gradcheck as gradcheck_module

    real = gradcheck_module.gradcheck

    def one_wrong(program, feeds, **kwargs):
        results = real(program, feeds, **kwargs)
        results[0] = dataclasses.replace(results[0], max_abs_error=1.0, max_rel_error=1.0)
        return results

    monkeypatch.setattr(gradcheck_module, "gradcheck", one_wrong)
    ran = invoke("check", "xor")
    assert ran.code == 1
    assert "NO" in ran.stdout and "Traceback" not in ran.stderr
    rows = invoke("check", "xor", "--json")
    assert rows.code == 1
    assert [r["ok"] for r in rows.events("gradient")] == [False, True, True, True]
    (summary,) = rows.events("check")
    assert summary["ok"] is False and summary["failed"] == ["W1"]


def test_check_of_a_step_network_says_there_is_no_gradient(nnviz_process):
    line = nnviz_process("check", "perceptron-step").assert_one_line_error(2)
    assert "heaviside step has no useful gradient" in line

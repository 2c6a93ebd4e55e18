"""The kernels' Python path (what the explorer steps on while the cache is filled) computes the
same bits as their machine code: stepping by hand, the Trainer's loop, evaluation and the
probe, for every shipped scenario's ops and every optimizer, in float32 and float64."""

import numpy as np
import pytest

from nnviz.engine import jit
from nnviz.engine.optim import OPTIMIZERS
from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.stepper import Stepper

pytestmark = pytest.mark.skipif(jit.JIT_DISABLED, reason="the JIT is off: one path only")

# Scenarios whose ops together cover the op table the explorer shows (tanh, sigmoid, relu,
# step, identity, softmax + cross-entropy, bce, mse, the perceptron rule, an expression graph)
SCENARIOS = [
    "xor", "circles", "moons", "spiral", "sine", "perceptron", "perceptron-step",
    "vanishing-relu", "exercise1", "exercise2", "chain", "mnist",
]  # fmt: skip
# the weight penalties and a frozen layer, on a small gate
PENALTIES = """
name = "penalties"
[data]
kind = "gate"
[model]
layers = [{ units = 3, activation = "tanh", trainable = false },
          { units = 1, activation = "sigmoid" }]
loss = "bce"
l2 = 0.01
l1 = 0.02
[optimizer]
kind = "momentum"
lr = 0.3
"""
HAND_STEPS = 3  # micro-stepped by hand
LOOP_STEPS = 7  # then in one call of the Trainer's loop


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _run(scenario, python: bool) -> dict[str, bytes]:
    session = build(scenario, threads=1)
    ctl = Controller(session)
    out: dict[str, bytes] = {}
    mode = jit.python_kernels() if python else _Nothing()
    with mode:
        stepper = Stepper.of(session)
        for _ in range(HAND_STEPS):
            what, _ = stepper.micro()
            while what not in ("update", "done"):
                what, _ = stepper.micro()
        program = session.model.program
        out["hand values"] = _bits(program.values)
        out["hand grads"] = _bits(program.grads)
        if session.trainer is not None:
            for _ in range(LOOP_STEPS):
                session.trainer.step()
            for key, state in session.optimizer.state.items():
                out[f"optimizer {key}"] = _bits(state)
            X = session.trainer.X[:5]
            out["prediction"] = _bits(session.model.output(X))
            loss, accuracy = session.model.evaluate(X, session.trainer.Y[:5])
            out["evaluation"] = _bits(np.array([loss, np.nan if accuracy is None else accuracy]))
        out["values"] = _bits(program.values)
        out["grads"] = _bits(program.grads)
        if ctl.is_graph and ctl.graph.wrt:
            probe = ctl.probe.program
            probe.values[:] = program.values
            probe.forward()
            probe.jvp({ctl.node_name(ctl.graph.wrt[0]): 1.0})
            out["tangents"] = _bits(probe.tangents)
    return out


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def _check(scenario) -> None:
    compiled = _run(scenario, python=False)
    plain = _run(scenario, python=True)
    assert compiled.keys() == plain.keys()
    differing = [key for key in compiled if compiled[key] != plain[key]]
    assert not differing, f"{scenario.name}: the Python path differs in {differing}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_python_path_equals_machine_code_bit_for_bit(name, dtype):
    _check(load_scenario(name).with_overrides(dtype=dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", [k for k in OPTIMIZERS if k != "perceptron"])
def test_every_optimizer_is_the_same_on_both_paths(kind, dtype):
    _check(load_scenario("moons").with_overrides(optimizer=kind, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weight_penalties_and_a_frozen_layer_are_the_same_on_both_paths(tmp_path, dtype):
    from nnviz.scenario import parse_scenario

    scenario = parse_scenario(PENALTIES, tmp_path / "penalties.toml")
    _check(scenario.with_overrides(dtype=dtype))


def test_the_python_path_is_the_kernels_own_source_calling_python_twins():
    from nnviz.engine import loop

    twin = loop.evaluate.python
    source = loop.evaluate.py_func.__code__
    assert type(twin).__name__ == "function"  # plain Python, no dispatcher
    assert (twin.__code__.co_filename, twin.__name__) == (source.co_filename, "evaluate")
    assert twin.__code__.co_firstlineno > source.co_firstlineno  # the def line, not @njit
    # the kernels it calls are their twins too, through the engine modules it names
    assert twin.__globals__["interp"].forward is loop.interp.forward.python
    with jit.python_kernels(), jit.recording_calls() as seen:
        session = build(load_scenario("xor"), threads=1)
        session.model.output(session.trainer.X)
    names = [jit.kernel_name(kernel) for kernel, _ in seen.calls]
    assert "nnviz.engine.loop.predict_into" in names

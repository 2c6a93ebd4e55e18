"""nnviz.warmup: the child process that compiles an interactive session's kernels, how it
reports, how it is stopped, and the switch to the machine code it leaves in the cache."""

from __future__ import annotations

import threading
import time

import pytest

from nnviz import warmup
from nnviz.engine import jit
from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build

needs_jit = pytest.mark.skipif(jit.JIT_DISABLED, reason="the JIT is off: nothing to compile")


def _follow(kernels: warmup.BackgroundKernels, timeout: float = 600.0) -> list:
    states = []
    done = threading.Event()

    def changed(state):
        states.append(state)
        if state.phase in (warmup.READY, warmup.FAILED):
            done.set()

    kernels.on_change = changed
    kernels.start()
    assert done.wait(timeout), f"the child did not finish: {states}"
    return states


@needs_jit
def test_the_child_counts_its_kernels_and_the_parent_switches_to_machine_code():
    scenario = load_scenario("xor")
    jit.MODES.python = True  # as after a cold open_kernels
    states = _follow(warmup.BackgroundKernels(scenario))
    assert states[-1].phase == warmup.READY, states[-1]
    assert states[-2].phase == warmup.LOADING
    counts = [(s.done, s.total) for s in states if s.phase == warmup.COMPILING and s.total]
    total = counts[0][1]
    assert total >= 5  # run_steps, evaluate, forward, backward, the update …
    assert sorted(set(done for done, _ in counts)) == list(range(total + 1))
    assert not jit.MODES.python
    # what the explorer calls is loaded now: no compile, no cache look-up left to do
    jit.forbid_compiling(fallback=False)
    Controller(build(scenario, threads=1)).warm_up()


@needs_jit
def test_stop_ends_the_child_at_once_and_says_nothing_more():
    kernels = warmup.BackgroundKernels(load_scenario("xor"))
    states = []
    kernels.on_change = states.append
    kernels.start()
    started = time.monotonic()
    kernels.stop()
    assert kernels._process.poll() is not None
    assert time.monotonic() - started < warmup.STOP_GRACE_S + 1.0
    time.sleep(0.2)
    assert all(s.phase == warmup.COMPILING for s in states)
    kernels.stop()  # twice is fine


@needs_jit
def test_a_child_that_fails_says_why_in_one_line():
    states = _follow(warmup.BackgroundKernels(scenario="not a scenario"), timeout=120)
    last = states[-1]
    assert last.phase == warmup.FAILED
    assert "AttributeError" in last.message and "\n" not in last.message
    assert "everything runs as Python" in last.describe()


@needs_jit
def test_a_warm_cache_opens_on_machine_code():
    ctl = Controller(build(load_scenario("xor"), threads=1))
    ctl.warm_up()  # compiled here if this run has not yet (the suite's cache)
    assert warmup.open_kernels(ctl) is True
    assert not jit.MODES.python and jit.MODES.forbid_compile and jit.MODES.fallback


def test_states_read_as_one_line_each():
    assert warmup.KernelState(warmup.COMPILING).progress() == "starting"
    compiling = warmup.KernelState(warmup.COMPILING, 3, 8, "interp.forward")
    assert compiling.progress() == "3 of 8 compiled"
    assert compiling.describe(12.4).startswith("compiling kernels: 3 of 8 compiled, 12 s (interp")
    assert "full speed" in warmup.KernelState(warmup.READY, 8, 8, seconds=41).describe()

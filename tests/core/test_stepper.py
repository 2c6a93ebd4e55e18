"""The Stepper: steps taken by hand equal the Trainer's jitted loop bit for bit; its phases."""

import numpy as np
import pytest

from nnviz.engine.optim import OPTIMIZERS, Optimizer
from nnviz.model import Model
from nnviz.stepper import BACKWARD, FORWARD, IDLE, UPDATE, StepError, Stepper
from nnviz.train import Trainer

RNG = np.random.default_rng(2)
X = RNG.random((50, 3))
Y = (X.sum(axis=1, keepdims=True) > 1.5).astype(float)
STEPS = 11  # crosses two epoch boundaries (4 batches per epoch) and a change of rate


def _fresh(kind: str, dtype: str):
    if kind == "perceptron":
        layers, loss, init = [(1, "step")], "mse", "zeros"
    else:
        layers, loss, init = [(5, "tanh"), (1, "sigmoid")], "bce", "glorot"
    m = Model.from_spec(3, layers, loss, init=init, seed=4, dtype=dtype, capacity=64)
    settings = {"lr": 0.05}
    if "weight_decay" in Optimizer(m.program, kind).settings:
        settings["weight_decay"] = 0.01
    opt = Optimizer(m.program, kind, **settings)
    # a schedule that changes the rate between epochs: a hand step must use the same rate
    trainer = Trainer(m, opt, X, Y, epochs=5, batch_size=16, seed=9, schedule="step",
                      schedule_step=2, gamma=0.5, threads=1)  # fmt: skip
    return m, opt, trainer


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("granularity", ["micro", "whole"])
def test_steps_by_hand_equal_the_jitted_loop_bit_for_bit(kind, dtype, granularity):
    fast_model, fast_opt, fast = _fresh(kind, dtype)
    for _ in range(STEPS):
        fast.step()
    hand_model, hand_opt, hand = _fresh(kind, dtype)
    stepper = Stepper(hand_model, hand_opt, hand)
    for _ in range(STEPS):
        if granularity == "whole":
            stepper.step()
            continue
        what, _ = stepper.micro()
        while what != "update":
            what, _ = stepper.micro()
    assert stepper.steps_done == STEPS
    assert (hand.epoch, hand.batch_index, hand.steps) == (fast.epoch, fast.batch_index, STEPS)
    assert hand_opt.t == fast_opt.t == STEPS
    assert hand_opt.lr_now() == fast_opt.lr_now() == pytest.approx(0.05 * 0.5)
    assert fast_model.params()  # something to compare
    for name, value in fast_model.params().items():
        assert np.array_equal(value, hand_model.params()[name]), name
        assert value.dtype == np.dtype(dtype)
        # the last step's gradients stay readable after the jitted loop
        assert np.array_equal(fast_model.grad(name), hand_model.grad(name)), name
        for key, state in fast_opt.state_of(name).items():
            assert np.array_equal(state, hand_opt.state_of(name)[key]), (name, key)
    if kind != "perceptron":
        assert all(fast_model.grad(name).any() for name in fast_model.params())
    else:
        assert any(v.any() for v in hand_model.params().values())  # the rule moved them


def test_micro_steps_walk_forward_then_backward_then_update():
    model, opt, trainer = _fresh("sgd", "float64")
    s = Stepper(model, opt, trainer)
    n = s.n
    assert (s.phase, s.next_node) == (IDLE, None)
    assert s.micro() == ("begin", None)
    assert s.rows.tolist() == trainer.next_batch_rows().tolist()
    assert s.phase == FORWARD and s.next_node == 0
    for i in range(n):
        assert s.micro() == ("forward", i)
        assert s.forward_done(i) and not s.forward_done(i + 1)
    assert s.phase == BACKWARD and not s.seeded and s.next_node == n - 1
    assert not s.grad_ready(s.loss)
    for i in reversed(range(n)):
        assert s.micro() == ("backward", i)
        assert s.seeded and s.backward_done(i) and (i == 0 or not s.backward_done(i - 1))
    assert s.phase == UPDATE
    assert all(s.grad_ready(i) == model.program.needs_grad(i) for i in range(n))
    before = model.params()
    assert s.micro() == ("update", None)
    assert s.phase == IDLE and trainer.steps == 1 and opt.t == 1
    assert any(not np.array_equal(before[k], v) for k, v in model.params().items())


def test_skip_quiet_micro_steps_land_on_nodes_that_compute():
    model, opt, trainer = _fresh("adam", "float32")
    s = Stepper(model, opt, trainer)
    seen = []
    while True:
        what, node = s.micro(skip_quiet=True)
        seen.append((what, node))
        if what == "update":
            break
    graph = model.graph
    for what, node in seen[:-1]:
        assert not s.quiet_forward(node), (what, graph.nodes[node].name)
        if what == "backward":
            assert model.program.needs_grad(node)
    assert seen[0][0] == "forward"  # the batch is fed with the first node
    names = [graph.nodes[node].name for what, node in seen if what == "forward"]
    assert names[-1] == graph.nodes[graph.loss].name


def test_gradients_are_ready_only_once_every_consumer_has_run():
    model, opt, trainer = _fresh("sgd", "float64")
    s = Stepper(model, opt, trainer)
    s.begin()
    while s.phase == FORWARD:
        s.forward_node()
    u1 = model.graph.find("u1")
    ready_at = None
    while s.phase == BACKWARD:
        i = s.backward_node()
        if s.grad_ready(u1) and ready_at is None:
            ready_at = i
    (consumer,) = model.graph.consumers(u1)
    assert ready_at == consumer


def test_out_of_order_steps_are_refused_and_a_step_can_be_abandoned():
    model, opt, trainer = _fresh("sgd", "float64")
    s = Stepper(model, opt, trainer)
    with pytest.raises(StepError, match="no step in flight"):
        s.forward_node()
    s.begin()
    with pytest.raises(StepError, match="forward pass is in progress"):
        s.update()
    with pytest.raises(StepError, match="in flight"):
        s.begin()
    start = model.params()
    s.to_update()
    assert s.phase == UPDATE
    s.abandon()
    assert s.phase == IDLE and trainer.steps == 0 and opt.t == 0
    for name, value in model.params().items():
        assert np.array_equal(value, start[name])


def test_a_graph_without_training_ends_its_step_after_the_backward_pass():
    from nnviz.scenario import load_scenario
    from nnviz.session import build

    session = build(load_scenario("chain"))
    s = Stepper.of(session)
    assert not s.has_update and s.has_backward
    s.step()
    assert s.phase == IDLE and s.steps_done == 1
    p = session.model.program
    # f = (x + y)(2x − 3) at the chain scenario's inputs: ∂f/∂x = (2x − 3) + 2(x + y)
    x, y = (float(p.value(name)[0, 0]) for name in ("x", "y"))
    assert float(p.grad("x")[0, 0]) == pytest.approx((2 * x - 3) + 2 * (x + y))

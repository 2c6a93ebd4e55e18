"""The MNIST view's numbers: an MNIST batch stepped by hand (nnviz.stepper.Stepper), node by
node, and the copies the view draws."""

from __future__ import annotations

import numpy as np
import pytest
from mnist_view_support import small_session

from nnviz import pca
from nnviz.stepper import BACKWARD, FORWARD, IDLE, UPDATE, StepError, Stepper
from nnviz.tui.mnist import live


def test_a_step_by_hand_equals_a_trainer_step_bit_for_bit():
    by_hand, reference = small_session(), small_session()
    stepper = Stepper.of(by_hand)
    for _ in range(2):  # the second step starts from updated parameters and Adam state
        stepper.step()
        reference.trainer.step()
    for name, value in reference.model.params().items():
        assert np.array_equal(by_hand.model.value(name), value), name
    assert by_hand.trainer.steps == reference.trainer.steps == 2
    assert by_hand.trainer.batch_index == reference.trainer.batch_index


def test_the_protocol_goes_forward_then_backward_then_updates():
    session = small_session()
    stepper = Stepper.of(session)
    n = len(session.model.program)
    before = session.model.value("W1").copy()
    with pytest.raises(StepError):
        stepper.backward_node()
    stepper.begin()  # feeds the batch
    assert stepper.phase == FORWARD and len(stepper.rows) == 100
    for i in range(n):
        assert not stepper.forward_done(i)
        stepper.forward_node()
        assert stepper.forward_done(i)
    assert stepper.phase == BACKWARD
    with pytest.raises(StepError):
        stepper.forward_node()
    z2 = session.model.program.find("z2")
    for _ in range(n):
        stepper.backward_node()
    assert stepper.phase == UPDATE and stepper.grad_ready(z2)
    assert np.array_equal(session.model.value("W1"), before)  # nothing changed yet
    stepper.update()
    assert stepper.phase == IDLE
    assert not np.array_equal(session.model.value("W1"), before)
    assert session.trainer.steps == 1


def test_softmax_cross_entropy_gradient_is_p_minus_y_over_rows():
    session = small_session()
    stepper = Stepper.of(session)
    p = session.model.program
    z2 = p.find("z2")
    stepper.begin()
    while stepper.phase != BACKWARD:
        stepper.forward_node()
    assert not stepper.grad_ready(z2) and not stepper.seeded
    ran = stepper.backward_node()  # seeds ∂L/∂L = 1 and runs L's rule (L is the last node)
    assert stepper.seeded and p.name(ran) == "L"
    assert stepper.grad_ready(z2)
    rows = p.batch
    assert np.allclose(p.grad("z2") * rows, p.value("p") - p.value("y"), atol=1e-6)


def test_abandoning_a_step_leaves_the_parameters_alone():
    session = small_session()
    stepper = Stepper.of(session)
    before = session.model.params()
    stepper.begin()
    for _ in range(7):
        stepper.forward_node()
    stepper.abandon()
    assert stepper.phase == IDLE
    for name, value in before.items():
        assert np.array_equal(session.model.value(name), value)
    assert session.trainer.steps == 0


def test_engine_reads_keep_a_stepped_pass_intact():
    session = small_session()
    stepper = Stepper.of(session)
    stepper.begin()
    for _ in range(6):
        stepper.forward_node()
    values = session.model.program.values.copy()
    snap = live.take_live(session, sample=3)
    plane = pca.fit_plane(session.dataset.x_train)
    extent = pca.extent_of(plane.project(session.dataset.x_test))
    data = live.evaluate_epoch(session, plane, extent, (12, 6))
    assert np.array_equal(session.model.program.values, values)
    assert snap.probs.shape == (10,) and snap.probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert snap.hidden.shape == (100,) and snap.W1.shape == (784, 100)
    assert data.classes.shape == (6, 12)
    assert data.confusion.sum() == session.dataset.n_test
    expected = np.argmax(session.model.predict(session.dataset.x_test), axis=1)
    assert np.array_equal(data.preds, expected)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    m = live.confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]


def test_the_view_finds_its_nodes_by_role_in_a_deeper_network():
    from nnviz.model import Model

    model = Model.from_spec(
        784, [(32, "sigmoid"), (16, "relu"), (10, "softmax")], "cross_entropy", seed=0
    )
    found = live.roles(model)
    assert (found.hidden, found.first_weights, found.output_weights) == ("u1", "W1", "W3")
    assert (found.logits, found.output, found.target, found.loss) == ("z3", "p", "y", "L")


def test_an_epoch_evaluated_beside_equals_one_in_line_and_runs_one_at_a_time(monkeypatch):
    import threading

    from nnviz import beside

    monkeypatch.setattr(beside, "core_to_spare", lambda: True)
    session = small_session()
    session.trainer.train_steps(3)
    plane = pca.fit_plane(session.dataset.x_train)
    extent = pca.extent_of(plane.project(session.dataset.x_test))
    evaluator = live.EpochEvaluator(session)
    names = []
    block = threading.Event()
    real = live.epoch_data

    def held(*a, **kw):  # the evaluation waits until the test lets it go
        names.append(threading.current_thread().name)
        block.wait(10)
        return real(*a, **kw)

    monkeypatch.setattr(live, "epoch_data", held)
    assert evaluator.start(plane, extent, (12, 6)) is None and evaluator.busy
    assert evaluator.start(plane, extent, (12, 6)) is None  # nothing more begun meanwhile
    assert evaluator.ready() is None
    block.set()
    data = evaluator.ready(wait=True)
    assert not evaluator.busy and names == ["nnviz-evaluate_0"]
    in_line = live.evaluate_epoch(session, plane, extent, (12, 6))
    assert (data.epoch, data.steps) == (in_line.epoch, in_line.steps) == (0, 3)
    for field in ("probs", "preds", "confusion", "classes"):
        assert np.array_equal(getattr(data, field), getattr(in_line, field)), field

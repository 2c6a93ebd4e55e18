"""The MNIST view's numbers: a batch stepped by hand node by node, and the copies it draws."""

from __future__ import annotations

import numpy as np
import pytest
from mnist_view_support import small_session

from nnviz import pca
from nnviz.tui.mnist import live
from nnviz.tui.mnist.stepper import BACKWARD, FORWARD, IDLE, UPDATE, BatchStepper, StepError


def test_a_step_by_hand_equals_a_trainer_step_bit_for_bit():
    by_hand, reference = small_session(), small_session()
    stepper = BatchStepper(by_hand)
    for _ in range(2):  # the second step starts from updated parameters and Adam state
        stepper.finish()
        reference.trainer.step()
    for name, value in reference.model.params().items():
        assert np.array_equal(by_hand.model.value(name), value), name
    assert by_hand.trainer.steps == reference.trainer.steps == 2
    assert by_hand.trainer.batch_index == reference.trainer.batch_index


def test_the_protocol_goes_forward_then_backward_then_updates():
    session = small_session()
    stepper = BatchStepper(session)
    n = len(session.model.program)
    before = session.model.value("W1").copy()
    with pytest.raises(StepError):
        stepper.backward()
    stepper.forward()  # feeds the batch
    assert stepper.phase == FORWARD and len(stepper.rows) == 100
    for i in range(n):
        assert not stepper.forward_done(i)
        stepper.forward()
        assert stepper.forward_done(i)
    assert stepper.phase == BACKWARD
    with pytest.raises(StepError):
        stepper.forward()
    z2 = session.model.program.find("z2")
    for _ in range(n):
        text, updated = stepper.backward()
        assert not updated
    assert stepper.phase == UPDATE and stepper.grad_ready(z2)
    assert np.array_equal(session.model.value("W1"), before)  # nothing changed yet
    _, updated = stepper.backward()
    assert updated and stepper.phase == IDLE
    assert not np.array_equal(session.model.value("W1"), before)
    assert session.trainer.steps == 1


def test_softmax_cross_entropy_gradient_is_p_minus_y_over_rows():
    session = small_session()
    stepper = BatchStepper(session)
    p = session.model.program
    z2 = p.find("z2")
    while stepper.phase != BACKWARD:
        stepper.forward()
    assert not stepper.grad_ready(z2)
    text, _ = stepper.backward()  # seeds ∂L/∂L = 1 and runs L's rule (L is the last node)
    assert "seeded" in text and "L" in text
    assert stepper.grad_ready(z2)
    rows = p.batch
    assert np.allclose(p.grad("z2") * rows, p.value("p") - p.value("y"), atol=1e-6)


def test_abandoning_a_step_leaves_the_parameters_alone():
    session = small_session()
    stepper = BatchStepper(session)
    before = session.model.params()
    for _ in range(8):
        stepper.forward()
    stepper.abandon()
    assert stepper.phase == IDLE
    for name, value in before.items():
        assert np.array_equal(session.model.value(name), value)
    assert session.trainer.steps == 0


def test_engine_reads_keep_a_stepped_pass_intact():
    session = small_session()
    stepper = BatchStepper(session)
    for _ in range(7):
        stepper.forward()
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

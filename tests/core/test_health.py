"""nnviz.health: gradient norms, update ratios and saturated/dead units, read without
changing the run."""

import numpy as np
import pytest

from nnviz.health import (
    HealthError,
    HealthSample,
    flag_units,
    measure,
    sample_epochs,
    track,
    unit_shares,
)
from nnviz.scenario import load_scenario
from nnviz.session import build


def test_unit_shares_and_flags():
    sig = np.array([[0.001, 0.5, 0.999], [0.002, 0.6, 0.5]])
    shares = unit_shares("sigmoid", sig)
    np.testing.assert_array_equal(shares, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(flag_units("sigmoid", shares), [True, False, False])
    tanh = np.array([[0.99, 0.0], [-0.999, 0.2]])
    np.testing.assert_array_equal(unit_shares("tanh", tanh), [1.0, 0.0])
    relu = np.array([[0.0, 0.0], [0.0, 3.0]])
    shares = unit_shares("relu", relu)
    np.testing.assert_array_equal(shares, [1.0, 0.5])
    np.testing.assert_array_equal(flag_units("relu", shares), [True, False])  # dead: never fires
    assert unit_shares("identity", relu) is None


def test_sample_epochs():
    assert sample_epochs(100, 4) == [25, 50, 75, 100]
    assert sample_epochs(3, 20) == [1, 2, 3]


def _session(name="moons", **overrides):
    return build(load_scenario(name).with_overrides(**overrides))


def test_a_sample_reads_the_next_steps_gradient_and_update():
    session = _session(epochs=3)
    trainer = session.trainer
    trainer.run_epoch()
    sample = measure(session, 1)
    before = session.model.params()
    trainer.step()  # the step measured: it keeps its gradients
    after = session.model.params()
    for layer in sample.layers:
        k = layer.layer
        grad = session.model.grad(f"W{k}")
        assert layer.grad_norm == pytest.approx(np.linalg.norm(grad.astype(np.float64)))
        step = np.linalg.norm((after[f"W{k}"] - before[f"W{k}"]).astype(np.float64))
        assert layer.update_ratio == pytest.approx(step / np.linalg.norm(before[f"W{k}"]))
        assert layer.weight_norm == pytest.approx(np.linalg.norm(before[f"W{k}"]))


def test_tracking_does_not_change_the_run():
    plain = _session(epochs=6)
    list(plain.trainer.run())
    tracked = _session(epochs=6)
    samples = list(track(tracked, samples=3))
    assert [s.epoch for s in samples] == [0, 2, 4, 6]
    assert all(isinstance(s, HealthSample) for s in samples)
    for name, value in plain.model.params().items():
        np.testing.assert_array_equal(tracked.model.params()[name], value)


def test_the_vanishing_twins():
    """Six sigmoid layers pass the first layer a tiny share of the gradient; relu does not."""
    sigmoid = measure(_session("vanishing"))
    relu = measure(_session("vanishing-relu"))
    ratio = [s.layers[0].grad_norm / s.layers[-1].grad_norm for s in (sigmoid, relu)]
    assert ratio[0] < 1e-3 and ratio[1] > 0.1
    norms = [layer.grad_norm for layer in sigmoid.layers]
    assert norms == sorted(norms)  # each layer nearer the input gets less
    assert sigmoid.layers[0].saturated_share is not None and sigmoid.layers[0].dead_share is None
    assert relu.layers[0].dead_share is not None


def test_health_needs_a_gradient():
    with pytest.raises(HealthError, match="perceptron"):
        measure(_session("perceptron-step"))
    with pytest.raises(HealthError, match="expression graph"):
        measure(build(load_scenario("chain")))


def test_health_refuses_conv_layers_in_one_error():
    # a conv layer's activations are maps (filters × H × W columns), not one unit per column
    with pytest.raises(HealthError, match="layer 1 is conv"):
        measure(build(load_scenario("mnist-cnn")))

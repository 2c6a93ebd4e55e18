"""The course's activities as shipped scenarios: gates built by hand (each truth-table row
marked right or wrong against its target), the notes' perceptron update, exercise 2."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz import regions
from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.stepper import Stepper

# (scenario, the rows right as shipped, weights that build the gate: W1 rows, b1)
BY_HAND = {
    "and-by-hand": ([True, True, True, False], [[20.0], [20.0]], [-30.0]),
    "nand-by-hand": ([False, False, False, False], [[-20.0], [-20.0]], [30.0]),
    "not-by-hand": ([False, True], [[-20.0]], [10.0]),
}


@pytest.mark.parametrize("name", list(BY_HAND))
def test_a_gate_built_by_hand_has_every_row_right(name):
    shipped, w1, b1 = BY_HAND[name]
    session = build(load_scenario(name))
    ds, model = session.dataset, session.model
    assert list(regions.rows_right(model, ds.x_train, ds.y_train)) == shipped
    model.set_params({"W1": np.array(w1), "b1": np.array(b1)})
    assert regions.rows_right(model, ds.x_train, ds.y_train).all()
    model.set_params({"b1": -np.array(b1)})  # the wrong sign: not the gate
    assert not regions.rows_right(model, ds.x_train, ds.y_train).all()


def test_the_truth_table_marks_rows_against_their_targets():
    explorer = Controller(build(load_scenario("and-by-hand")))
    rows = explorer.truth_table(explorer.model.program.values[: explorer.model.program.n_param])
    assert [r.right for r in rows] == BY_HAND["and-by-hand"][0]
    assert [int(r.y[0]) for r in rows] == [0, 0, 0, 1] and all(r.yhat == 0 for r in rows)


def test_the_notes_perceptron_update():
    """η = 0.1, x = (1, 0.5, 1), every θ = 1, y = (1, 0): unit 1 is right and stays; unit 2
    says 1 for 0, so θ_02 = 0.9, θ_12 = 0.95, θ_22 = 0.9 (the notes print θ_02 = .9)."""
    session = build(load_scenario("perceptron-update"))
    stepper = Stepper.of(session)
    stepper.step()
    p = session.model.params()
    np.testing.assert_allclose(p["W1"], [[1.0, 0.95], [1.0, 0.9]], rtol=1e-6)
    np.testing.assert_allclose(p["b1"], [[1.0, 0.9]], rtol=1e-6)


def test_exercise_2_fits_the_output_with_the_hidden_layer_frozen():
    session = build(load_scenario("exercise2"))
    start = session.model.params()
    assert session.optimizer.frozen == ("W1", "b1")
    events = list(session.trainer.run())
    after = session.model.params()
    assert after["W1"].tobytes() == start["W1"].tobytes()
    assert after["b1"].tobytes() == start["b1"].tobytes()
    assert not np.array_equal(after["W2"], start["W2"])
    final = events[-1]
    assert final.final_loss < 0.02 and final.test_loss < 0.03  # the noise's variance is 0.01

"""A running session freezes and unfreezes a layer (the playground's toggle) without
rebuilding: the same compiled program, the optimizer skipping the layer from the next step."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.engine.graph import GraphError
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.stepper import Stepper


def test_toggle_a_layer_while_stepping():
    session = build(load_scenario("xor"))
    program = session.model.program
    stepper = Stepper.of(session)
    assert session.trainable(1)
    session.set_trainable(1, False)
    assert not session.trainable(1) and session.optimizer.frozen == ("W1", "b1")
    before = session.model.params()
    for _ in range(3):
        stepper.step()
    after = session.model.params()
    assert after["W1"].tobytes() == before["W1"].tobytes()
    assert not np.array_equal(after["W2"], before["W2"])
    session.set_trainable(1, True)
    session.trainer.run_epoch()
    assert session.model.program is program
    assert not np.array_equal(session.model.params()["W1"], after["W1"])
    with pytest.raises(GraphError, match="layer 7 has no parameters"):
        session.set_trainable(7, False)

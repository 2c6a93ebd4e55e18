"""A setup written by the explorer's playground (W) is an ordinary scenario file: `nnviz train`
trains it from the weights written, and `nnviz info` reads its architecture."""

from __future__ import annotations

import numpy as np

from nnviz.explorer import Controller
from nnviz.playground import Playground, set_element
from nnviz.scenario import load_scenario
from nnviz.session import build


def test_a_written_setup_trains_from_its_weights(invoke, tmp_path):
    ctl = Controller(build(load_scenario("xor"), threads=1))
    ctl = Playground.of(ctl).change("model.layers[0].units", 3)
    ctl = ctl.playground.change("training.epochs", 20)
    set_element(ctl, "W1", (0, 2), 1.5)
    path = ctl.playground.write(tmp_path / "three.toml")
    ran = invoke("info", str(path))
    assert ran.code == 0, ran.stderr
    assert "13" in ran.stdout  # 2·3 + 3 + 3·1 + 1 parameters
    ran = invoke("train", str(path), "--json")
    assert ran.code == 0, ran.stderr
    trained = ran.events("trained")[0]
    assert trained["epochs"] == 20
    # the same run from the same weights, built here, ends at the same loss
    session = build(load_scenario(path), threads=1)
    assert session.model.params()["W1"][0, 2] == np.float32(1.5)
    finished = [e for e in session.trainer.run() if hasattr(e, "final_loss")][-1]
    assert trained["final_loss"] == finished.final_loss

"""The playground, headless: edits of a setup checked by the scenario loader, the rebuilt
network, one weight set by hand, and the setup written as a scenario file and read back."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.explorer import Controller
from nnviz.playground import (
    Field,
    Playground,
    document,
    parse_value,
    set_element,
    training_loss,
)
from nnviz.scenario import ScenarioError, load_scenario, parse_scenario
from nnviz.scenario.writer import scenario_text
from nnviz.session import build


def controller(name: str = "xor") -> Controller:
    return Controller(build(load_scenario(name), threads=1))


def params(ctl: Controller) -> dict[str, np.ndarray]:
    return ctl.model.params()


def test_more_units_draw_the_network_from_the_seed_as_a_fresh_build_does():
    ctl = controller()
    new = Playground.of(ctl).change("model.layers[0].units", 6)
    assert new.program.shape("W1") == (2, 6)
    assert not new.playground.kept_weights
    assert document(load_scenario("xor"))["model"]["layers"][0]["units"] == 4
    doc_scenario = load_scenario("xor")
    text = scenario_text(doc_scenario).replace("{ units = 4,", "{ units = 6,", 1)
    reference = build(parse_scenario(text, doc_scenario.path), threads=1)
    for name, value in reference.model.params().items():
        assert np.array_equal(params(new)[name], value), name
    assert ctl.program.shape("W1") == (2, 4)  # the old one is left as it was


def test_a_training_edit_keeps_the_weights_and_starts_the_optimizer_afresh():
    ctl = controller("circles")
    ctl.step()
    ctl.step()
    before = params(ctl)
    new = Playground.of(ctl).change("optimizer.kind", "momentum")
    assert new.optimizer.kind == "momentum" and new.optimizer.lr == 0.03  # the rate is kept
    assert new.playground.kept_weights
    for name, value in before.items():
        assert np.array_equal(params(new)[name], value)
    assert all(not np.any(s) for s in new.optimizer.state.values())
    assert new.trainer.steps == 0 and new.trainer.epoch == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("model.layers[0].units", 0, "xor.toml: model.layers[0].units: must be at least 1, got 0"),
        ("optimizer.lr", -1.0, "xor.toml: optimizer.lr: must be at least 0.0, got -1.0"),
        ("model.layers[0].activation", "step", "step has no gradient"),
        ("output", "softmax + cross_entropy", "xor.toml: the output layer has 2 units"),
        ("training.batch_size", -3, "xor.toml: training.batch_size: must be at least 0"),
        ("optimizer.momentum", 0.5, "xor.toml: optimizer.momentum: unknown key"),  # sgd has none
        ("optimizer.momentum", 1.5, "xor.toml: optimizer.momentum: must be less than 1.0"),
        ("test_share", 1.0, "xor.toml: test share: must be at least 0 and less than 1"),
        ("data.path", "no-such.csv", "xor.toml: data.path: no such file '/"),
    ],
)
def test_a_refused_edit_says_why_in_one_line_and_changes_nothing(key, value, message):
    ctl = controller()
    pg = Playground.of(ctl)
    doc_before, weights = pg.doc.copy(), params(ctl)
    with pytest.raises(ScenarioError) as caught:
        pg.change(key, value)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert pg.doc == doc_before and Playground.of(ctl) is pg
    for name, arr in weights.items():
        assert np.array_equal(params(ctl)[name], arr)


def test_every_field_of_every_small_scenario_cycles_or_says_why():
    for name in ("xor", "circles", "sine", "perceptron-step", "spiral"):
        ctl = controller(name)
        for f in Playground.of(ctl).fields():
            if f.kind not in ("choice", "toggle", "integer", "action"):
                continue
            try:
                new = Playground.of(ctl).cycle(f)
            except ScenarioError as exc:
                assert str(exc).startswith(f"{name}.toml: "), (f, exc)
                continue
            assert isinstance(new, Controller)
            assert (new is ctl) == f.key.endswith(".trainable")  # freezing: the same run


def test_architecture_edits_add_and_remove_a_hidden_layer():
    ctl = controller()
    pg = Playground.of(ctl)
    deeper = pg.act("add_layer")
    assert [lay.units for lay in deeper.scenario.model.layers] == [4, 4, 1]
    assert "W3" in params(deeper)
    shallow = Playground.of(deeper).act("remove_layer").playground.act("remove_layer")
    assert [lay.units for lay in shallow.scenario.model.layers] == [1]
    with pytest.raises(ScenarioError, match="there is no hidden layer"):
        Playground.of(shallow).act("remove_layer")


def test_data_edits_switch_the_set_its_loss_and_the_test_share():
    ctl = controller()
    moons = Playground.of(ctl).change("data.kind", "moons")
    assert moons.dataset.name.startswith("moons") or moons.scenario.data.kind == "moons"
    shared = Playground.of(moons).change("test_share", 0.2)
    assert (shared.dataset.n_train, shared.dataset.n_test) == (400, 100)
    noisy = Playground.of(shared).change("data.noise", 0.3)
    assert noisy.scenario.data.get("noise") == 0.3
    reseeded = Playground.of(noisy).change("data.seed", 7)
    assert not np.array_equal(reseeded.dataset.x_train, noisy.dataset.x_train)
    assert reseeded.seed == noisy.seed  # the data seed is not the init seed
    sine = Playground.of(ctl).change("data.kind", "sine")
    assert sine.scenario.model.loss == "mse" and sine.dataset.n_inputs == 1


def test_typed_values_are_parsed_as_the_field_wants():
    f = Field("Training", "epochs", "training.epochs", "integer", 10)
    assert parse_value("xor.toml", f, " 25 ") == 25
    with pytest.raises(ScenarioError, match=r"xor.toml: training.epochs: expected an integer"):
        parse_value("xor.toml", f, "2.5")
    g = Field("Training", "learning rate", "optimizer.lr", "number", 0.5)
    with pytest.raises(ScenarioError, match="expected a number, got 'fast'"):
        parse_value("xor.toml", g, "fast")
    with pytest.raises(ScenarioError, match="must be a finite number"):
        parse_value("xor.toml", g, "inf")


# ---------------------------------------------------------------- one weight
def test_a_weight_set_by_hand_is_what_the_network_and_its_probe_use():
    ctl = controller()
    set_element(ctl, "W1", (1, 2), "1.25")
    assert ctl.program.value("W1")[1, 2] == np.float32(1.25)
    snap = ctl.snapshot()
    probe = ctl.load_probe(snap.params)
    ds = ctl.dataset
    loss, _ = training_loss(ctl, snap.params)
    assert loss == pytest.approx(probe.evaluate(ds.x_train, ds.y_train)[0])
    with pytest.raises(ScenarioError, match=r"W1\[0,0\]: expected a number, got 'x'"):
        set_element(ctl, "W1", (0, 0), "x")
    with pytest.raises(ScenarioError, match="beyond the range of float32"):
        set_element(ctl, "W1", (0, 0), 1e300)
    assert ctl.program.value("W1")[1, 2] == np.float32(1.25)


def test_a_weight_set_mid_step_runs_the_pass_in_flight_again():
    edited = controller("circles")
    for _ in range(9):  # forward done and part of the backward pass
        edited.micro()
    set_element(edited, "b2", (0, 0), 0.75)
    reference = controller("circles")
    set_element(reference, "b2", (0, 0), 0.75)  # edited before the step began
    reference.micro()
    while reference.stepper.forward_upto < reference.n:
        reference.micro()
    assert edited.stepper.forward_upto == edited.n and not edited.stepper.seeded
    assert np.array_equal(edited.program.values, reference.program.values)
    edited.step()
    reference.step()
    assert np.array_equal(edited.program.values, reference.program.values)
    assert edited._manual_sum == reference._manual_sum  # the batch's loss counted once


# ---------------------------------------------------------------- writing it
def test_an_edited_setup_written_and_read_back_is_the_same_network(tmp_path):
    ctl = controller("circles")
    pg = Playground.of(ctl)
    ctl = pg.change("model.layers[0].units", 5)
    ctl = ctl.playground.change("model.layers[0].activation", "tanh")
    ctl = ctl.playground.change("data.seed", 3)
    ctl = ctl.playground.change("optimizer.kind", "adam")
    ctl.step()
    ctl.step()  # trained a little: Adam has state now
    set_element(ctl, "W2", (3, 0), -2.5)
    path = ctl.playground.write(tmp_path / "mine.toml")
    back = Controller(build(load_scenario(path), threads=1))
    for name, value in params(ctl).items():
        assert np.array_equal(params(back)[name], value), name  # bit for bit
    assert back.scenario.model.layers == ctl.scenario.model.layers
    assert back.scenario.data == ctl.scenario.data
    assert np.array_equal(back.dataset.x_train, ctl.dataset.x_train)
    assert back.scenario.optimizer == ctl.scenario.optimizer
    assert back.scenario.training == ctl.scenario.training
    assert all(not np.any(s) for s in back.optimizer.state.values())  # state starts at zero
    with pytest.raises(ScenarioError, match="already exists"):
        ctl.playground.write(path)
    assert back.scenario.name == "mine"


# ---------------------------------------------------------------- the AND gate by hand
def test_the_and_gate_built_by_hand_classifies_every_row():
    ctl = controller("and-by-hand")
    rows = ctl.truth_table(ctl.snapshot().params)
    assert sum(r.yhat == int(r.y[0]) for r in rows) < 4
    for index, value in (((0, 0), 20.0), ((1, 0), 20.0)):
        set_element(ctl, "W1", index, value)
    set_element(ctl, "b1", (0, 0), -30.0)
    rows = ctl.truth_table(ctl.snapshot().params)
    assert [r.yhat for r in rows] == [0, 0, 0, 1] == [int(r.y[0]) for r in rows]


def test_freezing_a_layer_in_the_running_session_keeps_its_weights_while_the_rest_train():
    ctl = controller("circles")
    ctl.step()
    pg = Playground.of(ctl)
    frozen = next(f for f in pg.fields() if f.label == "freeze hidden 1")
    assert frozen.value is False
    same = pg.cycle(frozen)
    assert same is ctl and ctl.trainer.steps == 1  # the run goes on
    assert ctl.scenario.model.layers[0].trainable is False
    assert next(f for f in pg.fields() if f.label == "freeze hidden 1").value is True
    before = params(ctl)
    for _ in range(3):
        ctl.step()
    after = params(ctl)
    assert np.array_equal(after["W1"], before["W1"]) and np.array_equal(after["b1"], before["b1"])
    assert not np.array_equal(after["W2"], before["W2"])
    # kept in the setup: a written file freezes it too
    assert pg.doc["model"]["layers"][0]["trainable"] is False
    assert ctl.scenario.model.layers[0].trainable is False
    pg.cycle(next(f for f in pg.fields() if f.label == "freeze hidden 1"))
    ctl.step()
    assert not np.array_equal(params(ctl)["W1"], after["W1"])


def test_l1_is_a_setting_when_the_format_has_it():
    ctl = controller()
    pg = Playground.of(ctl)
    if not pg.supports("l1"):
        pytest.skip("no l1 in this scenario format")
    new = pg.change("model.l1", 0.01)
    assert new.scenario.model.l1 == 0.01
    with pytest.raises(ScenarioError, match="xor.toml: model.l1: must be at least 0.0"):
        pg.change("model.l1", -0.5)


def test_a_feature_toggle_adds_an_input_column_and_draws_the_first_layer_again():
    ctl = controller("circles")
    pg = Playground.of(ctl)
    toggle = next(f for f in pg.fields() if f.label == "feature x1*x2")
    new = pg.cycle(toggle)
    assert new.scenario.data.features == ("x1", "x2", "x1*x2")
    assert new.program.shape("W1") == (3, 4) and not new.playground.kept_weights
    back = Playground.of(new).cycle(next(f for f in new.playground.fields() if f.label ==
                                         "feature x1*x2"))  # fmt: skip
    assert back.program.shape("W1") == (2, 4)

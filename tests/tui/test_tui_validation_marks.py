"""The explorer's parts of the experiments: validation curves in the training panel, saturated
and dead units marked on the hidden-unit maps, the dropout mask in the inspector. The numbers
are recomputed here from the engine."""

from __future__ import annotations

import numpy as np
from tui_helpers import FIXTURES, aio, wait_idle, wait_open

from nnviz import health
from nnviz.explorer import Controller
from nnviz.scenario import load_scenario
from nnviz.session import build
from nnviz.train import EpochsDone
from nnviz.tui import fmt, make_app
from nnviz.tui.draw.canvas import Canvas
from nnviz.tui.widgets.marks import unit_label
from nnviz.tui.widgets.panels import TextPanel

DROPOUT_VAL = FIXTURES / "moons-dropout-validation.toml"


@aio
async def test_validation_curves_carry_the_trainers_evaluations_per_epoch():
    app = make_app(DROPOUT_VAL, animate=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_open(pilot)
        for _ in range(3):
            await pilot.press("e")
            await wait_idle(pilot, screen)
        snap = screen.snap
        session = build(load_scenario(DROPOUT_VAL), threads=1)
        expected = []
        for _ in range(3):
            for event in session.trainer.epoch_events():
                if isinstance(event, EpochsDone):
                    expected.append((event.last_epoch, event.val_loss, event.val_accuracy))
        assert list(snap.val_epochs) == [e for e, _, _ in expected] == [1, 2, 3]
        assert list(snap.val_losses) == [v for _, v, _ in expected]
        assert list(snap.val_accuracies) == [a for _, _, a in expected]
        text = screen.query_one("#training").plain
        assert f"val loss {fmt.num(expected[-1][1], 4)}" in text
        assert f"epoch 3, {len(session.trainer.x_val)} rows held out" in text
        assert "validation" in text and "training" in text


def test_an_epoch_stepped_by_hand_is_validated_and_the_step_stays_on_show():
    sc = load_scenario(DROPOUT_VAL).with_overrides(batch_size=0)  # a step is an epoch
    ctl = Controller(build(sc, threads=1))
    while ctl.phase != "backward" or ctl.stepper.backward_from != 0:
        ctl.micro()
    values = ctl.program.values.copy()
    ctl.micro()  # the update closes the epoch, then validates
    params = ctl.program.values[: ctl.program.n_param].copy()
    after = ctl.program.values.copy()
    assert np.array_equal(after[ctl.program.n_param :], values[ctl.program.n_param :])
    epochs, losses, accs = ctl.validation_log.arrays()
    other = build(sc, threads=1)
    other.model.program.values[: other.model.program.n_param] = params
    loss, acc = other.model.evaluate(other.trainer.x_val, other.trainer.y_val)
    assert list(epochs) == [1] and losses[0] == loss and accs[0] == acc


@aio
async def test_saturated_units_are_marked_on_their_maps():
    app = make_app("moons", animate=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_open(pilot)
        await pilot.press("P")  # full speed to the end
        await wait_idle(pilot, screen, timeout=120)
        ctl = screen.ctl
        probe = ctl.load_probe(screen.snap.params)
        flags = health.hidden_unit_flags(probe, ctl.trainer.X)
        activation, flagged = flags["u1"]
        assert activation == "tanh" and flagged.any() and not flagged.all()
        while screen.side != "units":  # the hidden units' side panel
            await pilot.press("w")
        await pilot.pause(0.3)
        labels = screen.unit_labels(screen.unit_list())
        painted = screen.query_one("#units", Canvas).picture.text()
        for name, unit in screen.unit_list():
            label = labels[(name, unit)]
            assert label.endswith("≈") == bool(flagged[unit]), (unit, label)
            assert label == unit_label(name, unit, flags)
        shown = [lab for lab in labels.values() if lab in painted]
        assert shown and any(lab.endswith("≈") for lab in shown), painted
        assert screen.query_one("#units-title", TextPanel).plain.startswith("≈ saturated\n")


def test_unit_labels_mark_dead_relu_units_and_leave_the_rest():
    flags = {"u1": ("relu", np.array([True, False])), "u2": ("tanh", np.array([False, True]))}
    assert unit_label("u1", 0, flags) == "u₁[0]✕"
    assert unit_label("u1", 1, flags) == "u₁[1]"
    assert unit_label("u2", 1, flags, ascii_mode=True) == "u₂[1]~"
    assert unit_label("u3", 0, flags) == "u₃[0]"


@aio
async def test_the_inspector_shows_the_dropout_mask_of_the_step():
    app = make_app(DROPOUT_VAL, animate=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_open(pilot)
        ctl = screen.ctl
        d1 = ctl.graph.find("d1")
        await pilot.press("f")  # the inspector stays on the node chosen
        screen.selected = d1
        await pilot.press("n")
        before = screen.query_one("#inspector").plain
        assert "drawn when the forward pass reaches this node" in before
        for _ in range(ctl.n):
            if screen.snap.forward_upto > d1:
                break
            await pilot.press("n")
        text = screen.query_one("#inspector").plain
        mask = ctl.trainer.dropout_masks()["d1"]
        row = " ".join("1" if v else "0" for v in mask[screen.sample])
        assert f"mask m₁    {row}" in text
        kept = int(np.count_nonzero(mask[screen.sample]))
        assert f"step 1: {kept} of {mask.shape[1]} kept (rate 0.25)" in text
        # what the value row shows adds up: d = u ⊙ m / (1 − rate)
        u = ctl.view(screen.snap.values, ctl.graph.find("u1"), screen.snap.batch)[screen.sample]
        d = ctl.view(screen.snap.values, d1, screen.snap.batch)[screen.sample]
        assert np.allclose(d, u * mask[screen.sample] / 0.75, rtol=1e-6)

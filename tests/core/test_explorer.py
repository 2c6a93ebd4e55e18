"""The explorer's engine side without a screen: stepping by hand, the chain rule with numbers,
forward vs reverse mode, the numerical check, the perceptron's verdict, and nnviz.regions."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz import regions
from nnviz.explorer import BACKWARD, DONE, FORWARD, START, Controller
from nnviz.scenario import load_scenario
from nnviz.session import build


def controller(name: str, **overrides) -> Controller:
    scenario = load_scenario(name)
    if overrides:
        scenario = scenario.with_overrides(**overrides)
    return Controller(build(scenario))


def test_micro_steps_walk_forward_then_backward_then_update():
    ctl = controller("xor")
    assert ctl.phase == START
    seen = []
    while True:
        said = ctl.micro()
        seen.append((ctl.phase, said))
        if ctl.phase == DONE:
            break
    forward = [s for p, s in seen if s.startswith("forward")]
    backward = [s for p, s in seen if s.startswith("backward")]
    # every computed node once forward (leaves are skipped), in order
    computed = [n.name for n in ctl.graph.nodes if n.inputs]
    assert forward == [f"forward: {name}" for name in computed]
    # backward from the loss down to the first node that needs a gradient
    assert backward[0] == "backward: L" and backward[-1] == "backward: xW1"
    assert seen[-1] == (DONE, "update: every parameter")
    assert ctl.trainer.steps == 1 and ctl.optimizer.t == 1


@pytest.mark.parametrize("name", ["xor", "circles", "sine", "exercise1"])
def test_a_step_by_hand_equals_a_training_step_bit_for_bit(name):
    by_hand = controller(name)
    trained = controller(name)
    for _ in range(3):
        by_hand.step()
        trained.trainer.step()
    for key, value in trained.program.params().items():
        assert np.array_equal(by_hand.program.value(key), value), key


def test_the_chain_rule_sums_to_the_engines_gradient():
    ctl = controller("xor")
    while ctl.phase != DONE or ctl.update is None:
        ctl.micro()
    for j in range(ctl.n):
        report = ctl.chain.get(j)
        if not ctl.program.needs_grad(j):
            assert report is None
            continue
        assert report.complete
        if report.seed:
            assert ctl.node_name(j) == "L"
            continue
        assert np.array_equal(report.total, report.grad), ctl.node_name(j)
    # σ's local derivative is u(1 − u), computed by the engine's own rule
    z1, u1 = ctl.graph.find("z1"), ctl.graph.find("u1")
    (term,) = ctl.chain[z1].terms
    assert term.consumer == u1 and term.local_text == "u1(1 − u1)"
    u = ctl.program.value(u1)
    np.testing.assert_allclose(term.local, u * (1 - u), rtol=1e-6)


def test_chain_report_mid_backward_is_partial_where_consumers_remain():
    ctl = controller("xor")
    while ctl.phase != BACKWARD:
        ctl.micro()
    snap = ctl.snapshot()
    assert ctl.graph.find("L") in snap.chain
    assert ctl.graph.find("W1") not in snap.chain  # xW1 has not run its rule yet


def test_forward_mode_and_reverse_mode_agree_on_the_chain_example():
    ctl = controller("chain")
    report = ctl.modes()
    assert report.inputs == ("x", "y")
    # f(x, y) = (x + y)(2x − 3) at (1, 2): ∂f/∂x = 2s + p = 5, ∂f/∂y = p = −1
    assert report.forward == (5.0, -1.0)
    assert report.reverse == (5.0, -1.0)
    assert report.values[ctl.graph.find("f")] == -3.0
    # stepping the graph by hand gives the same reverse-mode numbers
    ctl.step()
    assert ctl.program.grad("x")[0, 0] == 5.0 and ctl.program.grad("y")[0, 0] == -1.0


def test_numerical_check_agrees_and_leaves_the_buffers_alone():
    ctl = controller("xor")
    ctl.micro()
    ctl.micro()
    before_v, before_g = ctl.program.values.copy(), ctl.program.grads.copy()
    report = ctl.check("W1")
    assert report.results and all(r.ok for r in report.results)
    assert report.f64_max_rel_error < 1e-5
    assert np.array_equal(ctl.program.values, before_v)
    assert np.array_equal(ctl.program.grads, before_g)
    assert ctl.phase == FORWARD  # still mid-step, and it goes on as before
    ctl.step()
    fresh = controller("xor")
    fresh.trainer.step()
    assert np.array_equal(ctl.program.value("W1"), fresh.program.value("W1"))


def test_perceptron_rule_on_xor_never_converges():
    ctl = Controller(build(load_scenario("perceptron-step"), which=2), which=2)
    assert ctl.dataset.name == "xor" and ctl.perceptron
    while not ctl.training_over:
        ctl.step()
    params = ctl.program.values[: ctl.program.n_param].copy()
    assert ctl.verdict(params, ctl.trainer.epoch) == (
        "XOR is not linearly separable: the perceptron rule never converges"
    )
    # the update record shows the rule row by row: y − a and the change of θ
    rec = ctl.update
    assert rec.kind == "perceptron" and len(rec.perceptron) == 1
    w = rec.params[0]
    row = rec.perceptron[0]
    np.testing.assert_allclose(
        w.new - w.old, 0.1 * (row.y - row.a)[None, :] * row.x[:, None], atol=1e-7
    )


def test_perceptron_rule_on_or_converges():
    ctl = Controller(build(load_scenario("perceptron-step"), which=0), which=0)
    while not ctl.training_over:
        ctl.step()
    params = ctl.program.values[: ctl.program.n_param].copy()
    assert ctl.verdict(params, ctl.trainer.epoch).startswith("converged")


def test_truth_table_matches_the_course_or_neuron():
    # w1 = 1, w2 = −1, b = −0.5 on OR: h = −0.5, −1.5, 0.5, −0.5
    ctl = controller("perceptron")
    rows = ctl.truth_table(ctl.program.values[: ctl.program.n_param].copy())
    np.testing.assert_allclose([r.h[0] for r in rows], [-0.5, -1.5, 0.5, -0.5])
    np.testing.assert_allclose([r.p[0] for r in rows], [0.3775, 0.1824, 0.6225, 0.3775], atol=1e-4)


def test_learning_rate_changes_live():
    ctl = controller("xor")
    assert ctl.lr_up() == 1.0 and ctl.optimizer.lr == 1.0
    assert ctl.lr_down() == 0.5 and ctl.optimizer.lr_now() == 0.5


def test_rebuilt_starts_again_with_the_same_or_a_new_seed():
    ctl = controller("xor")
    start = ctl.program.value("W1").copy()
    ctl.step()
    same = ctl.rebuilt()
    assert np.array_equal(same.program.value("W1"), start) and same.trainer.steps == 0
    other = ctl.rebuilt(seed=ctl.seed + 1)
    assert other.seed == 1 and not np.array_equal(other.program.value("W1"), start)


# ---------------------------------------------------------------- regions
def test_plane_rows_run_top_down_and_cells_round_trip():
    pts = regions.plane((0, 4), (0, 2), cols=4, rows=2)
    assert pts.shape == (8, 2)
    assert pts[0].tolist() == [0.5, 1.5]  # top-left cell centre: small x, large y
    assert pts[-1].tolist() == [3.5, 0.5]
    r, c = regions.cell_of(pts, (0, 4), (0, 2), 4, 2)
    assert r.tolist() == [0, 0, 0, 0, 1, 1, 1, 1] and c.tolist() == [0, 1, 2, 3] * 2
    r, c = regions.cell_of(np.array([[9.0, 9.0], [4.0, 0.0]]), (0, 4), (0, 2), 4, 2)
    assert r.tolist() == [-1, 1] and c.tolist() == [-1, 3]


def test_output_and_hidden_grids_come_from_the_engine():
    ctl = controller("gates")
    probe = ctl.probe
    grid = regions.output_grid(probe, (-0.5, 1.5), (-0.5, 1.5), 8, 6)
    assert grid.shape == (6, 8, 1)
    X = regions.plane((-0.5, 1.5), (-0.5, 1.5), 8, 6)
    np.testing.assert_array_equal(grid.reshape(-1, 1), ctl.model.output(X))
    hidden = regions.hidden_grids(probe, (-0.5, 1.5), (-0.5, 1.5), 8, 6)
    assert [(n, u) for n, u, _ in hidden] == [("u1", 0), ("u1", 1)]
    # the hand-set XOR network: the corners are classified as the truth table says
    corners = regions.classes(ctl.model.output(ctl.dataset.x_train), "binary")
    assert corners.tolist() == [0, 1, 1, 0]
    assert regions.pre_activation(probe) == "z2"


def test_curve_and_ranges():
    ctl = controller("exercise1")
    xs, ys = regions.curve(ctl.probe, (-4, 8), 13)
    assert xs.tolist() == list(range(-4, 9))
    np.testing.assert_allclose(ys[:, 0], ctl.model.output(xs.reshape(-1, 1))[:, 0])
    assert [n for n, _, _ in regions.hidden_curves(ctl.probe, (-4, 8), 5)] == ["u1"] * 3
    lo, hi = regions.curve_range([np.array([0.0, 1.0])])
    assert lo < 0 < 1 < hi
    assert regions.value_range(np.array([0.2, 3.0]), "relu") == (0.0, 3.0)
    assert regions.value_range(np.array([0.2]), "tanh") == (-1.0, 1.0)
    assert regions.levels(np.array([0.0, 0.5, 1.0]), 0, 1, 4).tolist() == [0, 2, 3]

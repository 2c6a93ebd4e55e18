"""A training step shared with a helper thread gives the same bits as one thread alone.

The team (nnviz/engine/team.py) cuts big GEMMs along a dimension of the result or along the
sum, the optimizer update and the batch copy in halves, and the helper thread (helper.py)
runs the second half. Every test here compares a shared run with a solo run bit for bit.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nnviz.engine import blas, helper, loop, optim, team
from nnviz.engine.jit import JIT_DISABLED, gemm_strided
from nnviz.model import Model
from nnviz.train import Trainer

needs_pair = pytest.mark.skipif(
    not helper.pairing_possible(),
    reason="a helper thread needs the JIT, two cores and an OpenBLAS whose threads can be set",
)


def test_pairing_needs_the_jit_two_cores_and_a_controllable_blas():
    expected = not JIT_DISABLED and blas.usable_cores() >= 2 and blas.controllable()
    assert helper.pairing_possible() == expected


def _dummies(v, rows=1, cols=1):
    X = np.zeros((rows, cols), v.dtype)
    return (
        np.zeros(1, v.dtype), np.zeros(1, v.dtype), np.zeros(optim.HYPER_SLOTS, v.dtype),
        X, X, np.zeros(rows, np.int64), np.zeros(8, np.int64),
    )  # fmt: skip


def _threads_named(name):
    return [t for t in threading.enumerate() if t.name == name]


def test_a_solo_team_starts_no_thread_and_posts_nothing():
    v = np.zeros(4, np.float32)
    before = threading.active_count()
    with helper.helper_for(False, v, v.copy(), *_dummies(v)) as ctl:
        assert ctl[team.ON] == 0
        assert threading.active_count() == before
    assert not ctl.any()


# (trans_a, trans_b, m, n, k): the matmul GEMMs of 784-100 at batch 100 and 784-512 at 128,
# cut along the sum (k longest), rows (m ≥ n) or columns (m < n), and odd sizes that do not
# split evenly.
GEMMS = [
    (False, False, 100, 100, 784),
    (True, False, 784, 100, 100),
    (False, False, 128, 512, 784),
    (True, False, 784, 512, 128),
    (False, True, 128, 784, 512),
    (False, False, 97, 301, 153),
    (True, True, 301, 97, 153),
    (False, True, 97, 301, 153),
    (True, False, 100, 90, 801),
    (False, True, 90, 100, 1001),
    (True, True, 97, 120, 999),
]
# Too small to cut (a part under team.MIN_PART_WORK): run whole by the caller.
SMALL_GEMMS = [(False, True, 128, 512, 10), (False, False, 97, 301, 53)]


@needs_pair
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [0.0, 1.0])
@pytest.mark.parametrize("shape", GEMMS)
def test_a_gemm_gives_the_same_bits_on_one_thread_and_two(shape, beta, dtype):
    """float32 GEMMs are cut in two parts on one thread and on two; float64 ones run whole."""
    ta, tb, m, n, k = shape
    rng = np.random.default_rng(m * n + k)
    # A in v, B and C in g, at offsets, as the matmul rules lay them out; the scratch in v
    v = rng.standard_normal(7 + m * k + m * n).astype(dtype)
    rng_v = v.copy()
    g = rng.standard_normal(5 + k * n + m * n).astype(dtype)
    c_off, s_off = 5 + k * n, 7 + m * k
    lda, ldb = (m if ta else k), (k if tb else n)
    whole, alone = g.copy(), g.copy()
    with blas.one_thread():
        gemm_strided(ta, tb, m, n, k, v, 7, lda, whole, 5, ldb, beta, whole, c_off, n)
        team.gemm_pair(team.SOLO, v, alone, ta, tb, m, n, k, team.IN_V, 7, team.IN_G, 5, beta,
                       team.IN_G, c_off, s_off)  # fmt: skip
    with helper.helper_for(True, v, g, *_dummies(v)) as ctl:
        assert ctl[team.ON] == 1 and len(_threads_named(helper.THREAD_NAME)) == 1
        team.gemm_pair(ctl, v, g, ta, tb, m, n, k, team.IN_V, 7, team.IN_G, 5, beta,
                       team.IN_G, c_off, s_off)  # fmt: skip
        cut = 1 if dtype == np.float32 else 0
        assert ctl[team.SEQ] == cut and ctl[team.DONE] == cut  # the helper did its half
    assert np.array_equal(g, alone)
    if dtype == np.float64:
        assert np.array_equal(g, whole)  # run whole
    else:  # the parts are the product's: at most a rounding or two from the whole's bits
        scale = np.abs(whole[c_off:]).max()
        assert np.abs(g[c_off:] - whole[c_off:]).max() <= 1e-5 * scale
    assert np.array_equal(g[:c_off], whole[:c_off])  # B untouched
    assert np.array_equal(v[:s_off], rng_v[:s_off])  # A untouched
    assert not _threads_named(helper.THREAD_NAME)


@needs_pair
@pytest.mark.parametrize("shape", SMALL_GEMMS)
def test_a_small_gemm_is_not_cut(shape):
    ta, tb, m, n, k = shape
    v = np.ones(max(m * k, k * n), np.float32)
    g = np.zeros(k * n + m * n, np.float32)
    with helper.helper_for(True, v, g, *_dummies(v)) as ctl:
        team.gemm_pair(ctl, v, g, ta, tb, m, n, k, team.IN_V, 0, team.IN_V, 0, 0.0,
                       team.IN_G, k * n, -1)  # fmt: skip
        assert ctl[team.SEQ] == 0  # nothing posted
    assert np.all(g[k * n :] == k)


@needs_pair
@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad"])
def test_an_update_split_in_two_equals_the_whole(kind):
    n = 3 * team.MIN_UPDATE + 5
    rng = np.random.default_rng(1)
    p = rng.standard_normal(n + 9).astype(np.float32)  # parameters first, then other nodes
    g = rng.standard_normal(n + 9).astype(np.float32)
    s1 = np.abs(rng.standard_normal(n)).astype(np.float32)
    s2 = np.abs(rng.standard_normal(n)).astype(np.float32)
    hyper = np.array([0.01, 0.001, 0.9, 0.999, 1e-8, 0, 0, 0], np.float32)
    code = optim.KIND_CODES[kind]
    solo = [a.copy() for a in (p, g, s1, s2, hyper)]
    every = np.array([[0, n]], np.int64)  # nothing frozen
    optim.apply_update(code, solo[4], 3, solo[0][:n], solo[1][:n], solo[2], solo[3], True,
                       team.SOLO, every)  # fmt: skip
    X, Y, order, io = _dummies(p)[3:]
    with helper.helper_for(True, p, g, s1, s2, hyper, X, Y, order, io) as ctl:
        optim.apply_update(code, hyper, 3, p[:n], g[:n], s1, s2, True, ctl, every)
        assert ctl[team.DONE] == 1
    for shared, alone in zip((p, g, s1, s2), solo, strict=False):
        assert np.array_equal(shared, alone)
    assert not g[:n].any()  # cleared by both halves


@needs_pair
def test_a_batch_copy_split_in_two_equals_the_whole():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((500, 784)).astype(np.float32)
    Y = rng.standard_normal((500, 10)).astype(np.float32)
    order = rng.permutation(500).astype(np.int64)
    io = np.zeros(8, np.int64)
    io[loop.X_OFF], io[loop.Y_OFF] = 3, 3 + 128 * 784
    v = np.zeros(3 + 128 * 794, np.float32)
    alone = v.copy()
    loop.load_batch(alone, io, X, Y, order, 37, 101, team.SOLO)
    s1, s2, hyper = helper.spare_arrays(np.float32)
    with helper.helper_for(True, v, v.copy(), s1, s2, hyper, X, Y, order, io) as ctl:
        loop.load_batch(v, io, X, Y, order, 37, 101, ctl)
        assert ctl[team.DONE] == 1
    assert np.array_equal(v, alone)
    rows = order[37:138]
    assert np.array_equal(v[3 : 3 + 101 * 784].reshape(101, 784), X[rows])


def _train(layers, optimizer, batch, threads, probe_every_s=None, rows=800, min_steps=None,
           **opt):  # fmt: skip
    from nnviz.engine.optim import Optimizer

    rng = np.random.default_rng(3)
    X = rng.random((rows + 200, 784), dtype=np.float32)
    labels = rng.integers(0, 10, rows + 200)
    Y = np.eye(10, dtype=np.float32)[labels]
    model = Model.from_spec(784, layers, "cross_entropy", task="multiclass", capacity=batch,
                            seed=4)  # fmt: skip
    trainer = Trainer(model, Optimizer(model.program, optimizer, **opt), X[:rows], Y[:rows],
                      x_test=X[rows:], y_test=Y[rows:], epochs=2, batch_size=batch,
                      threads=threads, chunk_seconds=0.005)  # fmt: skip
    if probe_every_s is not None:
        trainer.threads.every_s = probe_every_s
    if min_steps is not None:
        trainer.threads.min_steps = min_steps
    events = list(trainer.run())
    losses = np.concatenate([e.losses for e in events if hasattr(e, "losses")])
    return trainer, losses, events[-1], {k: v.copy() for k, v in model.params().items()}


@needs_pair
@pytest.mark.parametrize(
    "layers, optimizer, batch, opt",
    [
        ([(100, "sigmoid"), (10, "softmax")], "adam", 100, {"lr": 0.001}),
        ([(512, "relu"), (10, "softmax")], "rmsprop", 128, {"lr": 0.001, "alpha": 0.99}),
    ],
)
def test_training_with_a_helper_equals_training_alone_bit_for_bit(layers, optimizer, batch, opt):
    paired, losses2, fin2, params2 = _train(layers, optimizer, batch, 2, **opt)
    alone, losses1, fin1, params1 = _train(layers, optimizer, batch, 1, **opt)
    assert paired.paired and not alone.paired
    assert np.array_equal(losses1, losses2)
    assert (fin1.final_loss, fin1.test_loss, fin1.test_accuracy) == (
        fin2.final_loss, fin2.test_loss, fin2.test_accuracy,
    )  # fmt: skip
    for name in params1:
        assert np.array_equal(params1[name], params2[name]), name
    assert not _threads_named(helper.THREAD_NAME)  # stopped after every chunk


@needs_pair
def test_switching_between_one_and_two_threads_changes_no_number():
    layers, opt = [(100, "sigmoid"), (10, "softmax")], {"lr": 0.001}
    # Every chunk is timed (min_steps 1) and a probe of the other choice follows each one
    # (every_s 0): the first chunk times two threads and the second one, however short a
    # loaded machine makes the chunks, times one thread.
    switching, losses2, fin2, params2 = _train(layers, "adam", 100, 2, 0.0, 5000, min_steps=1,
                                               **opt)  # fmt: skip
    alone, losses1, fin1, params1 = _train(layers, "adam", 100, 1, None, 5000, **opt)
    # it timed both choices (a probe of the other one after every chunk)
    assert all(rate is not None for rate in switching.threads.rate.values()), switching.threads.rate
    assert 0 < switching.threads.paired_s < switching.train_s
    assert alone.threads.rate[True] is None and alone.threads.paired_s == 0
    assert np.array_equal(losses1, losses2)
    assert (fin1.final_loss, fin1.test_accuracy) == (fin2.final_loss, fin2.test_accuracy)
    for name in params1:
        assert np.array_equal(params1[name], params2[name]), name


def test_the_thread_choice_keeps_the_faster_and_probes_the_other():
    from nnviz.train import ThreadChoice

    choice = ThreadChoice(True, every_s=1.0, probe_s=0.03)
    assert choice.plan(5) == (True, 5, False)  # nothing timed yet: two threads
    choice.record(True, 1000, 0.5, False)  # 2,000 steps/s on two threads
    paired, steps, probing = choice.plan(5000)
    assert (paired, steps, probing) == (False, 60, True)  # 0.03 s at that rate, on one thread
    choice.record(False, 60, 0.04, True)  # 1,500 steps/s: slower, so two threads stay
    assert choice.current and choice.plan(5000) == (True, 5000, False)
    choice.record(True, 1000, 1.0, False)  # two threads slow down to 1,000 steps/s
    assert not choice.current  # one thread's 1,500 is faster now
    choice.record(False, 1500, 1.0, False)
    assert choice.plan(5000) == (True, 45, True)  # a second later, two threads again, briefly
    choice.record(True, 45, 0.015, True)  # 3,000 steps/s: back to two threads
    assert choice.current and choice.paired_s == pytest.approx(0.5 + 1.0 + 0.015)
    alone = ThreadChoice(False)
    alone.record(False, 1000, 1.0, False)
    assert alone.plan(10) == (False, 10, False) and not alone.current


def test_small_networks_train_alone():
    model = Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], "bce", task="binary")
    assert not helper.worth_pairing(model.program, 4)
    big = Model.from_spec(784, [(100, "sigmoid"), (10, "softmax")], "cross_entropy",
                          task="multiclass", capacity=100)  # fmt: skip
    assert helper.worth_pairing(big.program, 100) == helper.pairing_possible()


def test_threads_must_be_1_or_2():
    from nnviz.engine.graph import GraphError
    from nnviz.engine.optim import Optimizer

    model = Model.from_spec(2, [(1, "sigmoid")], "bce", task="binary")
    X = np.zeros((4, 2), np.float32)
    with pytest.raises(GraphError, match="threads must be 1 or 2, got 3"):
        Trainer(model, Optimizer(model.program, "sgd"), X, X[:, :1], threads=3)


@pytest.mark.parametrize(
    "text, cpus",
    [("max 100000\n", None), ("150000 100000\n", 1.5), ("200000 100000", 2.0), ("junk", None)],
)
def test_a_cgroup_cpu_quota_is_read(tmp_path, text, cpus):
    path = tmp_path / "cpu.max"
    path.write_text(text)
    assert blas._cgroup_cpu_quota(str(path)) == cpus
    assert blas._cgroup_cpu_quota(str(tmp_path / "missing")) is None


def test_a_quota_of_one_core_means_no_helper(monkeypatch):
    monkeypatch.setattr(blas, "_cgroup_cpu_quota", lambda: 1.5)
    assert blas.usable_cores() == 1
    assert not helper.pairing_possible()
    monkeypatch.setattr(blas, "_cgroup_cpu_quota", lambda: None)
    assert blas.usable_cores() >= 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_first_layer_is_cut_along_its_sum_into_the_programs_scratch(dtype):
    """x·W₁ (100 × 784 · 784 × 100) is cut along its 784: the first part's product lands in
    the scratch after the Program's nodes, and z₁ = second part + first part. float64 GEMMs
    run whole and their Programs keep no scratch."""
    from nnviz.engine import kernels as k
    from nnviz.engine import ops

    model = Model.from_spec(784, [(100, "sigmoid"), (10, "softmax")], "cross_entropy",
                            task="multiclass", capacity=100, seed=4, dtype=dtype)  # fmt: skip
    p = model.program
    ends = p.meta[:, k.OFF] + [int(np.prod(p.value(i).shape)) for i in range(len(p.meta))]
    scratch = int(ends.max())
    assert (p.meta[:, k.SCRATCH] == scratch).all()
    first = next(i for i in range(len(p.meta)) if p.meta[i, k.OP] == ops.MATMUL)
    x, w1 = p.meta[first, k.IN_A], p.meta[first, k.IN_B]
    if dtype == np.float64:
        assert p.values.size == scratch
    else:  # room for the largest of x (100 × 784), W₁ and z₁
        assert p.values.size == scratch + 100 * 784
    rng = np.random.default_rng(5)
    X = rng.random((100, 784), dtype=np.float32).astype(dtype)
    p.feed(x, X)
    p.forward()
    W1 = p.value(w1)
    z1 = p.value(first)
    h = team.half(784, 16)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(z1, X.astype(np.float64) @ W1, rtol=tol, atol=tol)
    if dtype == np.float32:
        part = p.values[scratch : scratch + 100 * 100].reshape(100, 100)
        np.testing.assert_allclose(part, X[:, :h].astype(np.float64) @ W1[:h], rtol=tol, atol=tol)

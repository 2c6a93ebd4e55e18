"""The seeded 2-D (and 1-D) toy sets: logic gates, circles, moons, spiral, gaussians, sine.

Each maker takes a numpy Generator and a row count and returns float32 (x, y).  A test
set, when asked for, is drawn by the same maker from ``seed + 1``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnviz.data.dataset import Dataset

GATES: dict[str, tuple[int, int, int, int]] = {
    # outputs for inputs (0,0), (0,1), (1,0), (1,1)
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
}

Maker = Callable[..., tuple[np.ndarray, np.ndarray]]


def gate(name: str) -> Dataset:
    """The 4-row truth table of a two-input logic gate."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array(GATES[name], dtype=np.float32).reshape(4, 1)
    return Dataset(
        name=name,
        x_train=x,
        y_train=y,
        x_test=None,
        y_test=None,
        task="binary",
        class_names=("0", "1"),
        source=f"{name.upper()} truth table",
    )


def circles(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The course notebook's synthetic set, drawn as the reference benchmarks draw it.

    X is uniform in the unit square; each label is 1 with probability
    p = sigmoid(10 (exp(-8 r^2) - 1/2)), r the distance to (1/2, 1/2), so the classes overlap
    near the circle r = 0.29 where p = 1/2 and about 0.9 accuracy is the ceiling. X is drawn
    first, then the uniform u that y = u < p compares, both in float64.
    """
    x = rng.random((n, 2))
    r2 = (x[:, 0] - 0.5) ** 2 + (x[:, 1] - 0.5) ** 2
    p = 1.0 / (1.0 + np.exp(-10.0 * (np.exp(-8.0 * r2) - 0.5)))
    y = rng.random(n) < p
    return x.astype(np.float32), y.astype(np.float32).reshape(n, 1)


def _shuffled(rng: np.random.Generator, x: np.ndarray, y: np.ndarray):
    order = rng.permutation(x.shape[0])
    return (
        np.ascontiguousarray(x[order], dtype=np.float32),
        np.ascontiguousarray(y[order], dtype=np.float32).reshape(-1, 1),
    )


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def moons(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles (class 0 on top, class 1 below and shifted right)."""
    n0, n1 = _halves(n)
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    return _shuffled(rng, x, y)


def spiral(
    rng: np.random.Generator, n: int, noise: float, turns: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two arms winding ``turns`` times around the origin, half a turn apart, radius <= 1."""
    n0, n1 = _halves(n)
    t = rng.random(n)
    arm = np.concatenate([np.zeros(n0), np.ones(n1)])
    radius = 0.05 + 0.95 * t
    angle = 2.0 * np.pi * turns * t + np.pi * arm
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x += rng.normal(0.0, noise, (n, 2))
    return _shuffled(rng, x, arm)


def gaussians(
    rng: np.random.Generator, n: int, distance: float, std: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two round blobs of spread ``std`` whose centres are ``distance`` apart on the diagonal."""
    n0, n1 = _halves(n)
    c = distance / (2.0 * np.sqrt(2.0))
    x = rng.normal(0.0, std, (n, 2))
    x[:n0] -= c
    x[n0:] += c
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    return _shuffled(rng, x, y)


def sine(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """y = sin(2 pi x) + N(0, noise) for x ~ U[0, 1]."""
    x = rng.random((n, 1))
    y = np.sin(2.0 * np.pi * x) + rng.normal(0.0, noise, (n, 1))
    return x.astype(np.float32), y.astype(np.float32)


MAKERS: dict[str, Maker] = {
    "circles": circles,
    "moons": moons,
    "spiral": spiral,
    "gaussians": gaussians,
    "sine": sine,
}


def make(kind: str, params: dict) -> Dataset:
    """A seeded set of one of MAKERS' kinds from checked params (n, seed, n_test and its own)."""
    maker = MAKERS[kind]
    extra = {k: v for k, v in params.items() if k not in ("n", "seed", "n_test")}
    seed, n, n_test = params["seed"], params["n"], params["n_test"]
    x, y = maker(np.random.default_rng(seed), n, **extra)
    x_test = y_test = None
    if n_test:
        x_test, y_test = maker(np.random.default_rng(seed + 1), n_test, **extra)
    task = "regression" if kind == "sine" else "binary"
    settings = ", ".join(f"{k}={v}" for k, v in params.items())
    return Dataset(
        name=kind,
        x_train=x,
        y_train=y,
        x_test=x_test,
        y_test=y_test,
        task=task,
        class_names=() if task == "regression" else ("0", "1"),
        source=f"synthetic {kind} ({settings})",
    )

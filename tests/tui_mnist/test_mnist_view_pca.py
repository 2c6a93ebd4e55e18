"""nnviz.pca: the PCA plane of the inputs and the classes a model gives across it."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz import pca


def _plane_data(n=2000, d=60, noise=0.01, seed=1):
    """Points near a known plane: mean + a·u + b·v (+ small noise), var(a) > var(b)."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((d, 2)))[0].T  # orthonormal rows u, v
    mean = rng.uniform(0, 1, d)
    raw = rng.standard_normal((n, 2))
    raw -= raw.mean(axis=0)
    raw = np.linalg.qr(raw)[0] * np.sqrt(n - 1)  # uncorrelated columns of unit variance
    coords = raw * np.array([3.0, 1.0])
    X = mean + coords @ basis + noise * rng.standard_normal((n, d))
    return X, mean, basis, coords


def test_fit_recovers_a_known_plane():
    X, mean, basis, coords = _plane_data()
    plane = pca.fit_plane(X)
    # The components span the plane, first along the larger variance (up to sign).
    overlap = plane.components @ basis.T
    assert np.allclose(np.abs(overlap), np.eye(2), atol=1e-3)
    assert plane.variance[0] > plane.variance[1] > 0
    assert plane.explained.sum() == pytest.approx(1.0, abs=0.01)
    assert np.allclose(plane.mean, mean, atol=0.1)
    # Projection gives the coordinates back (up to each component's sign and the mean shift).
    got = plane.project(X)
    signs = np.sign(np.diag(overlap))
    assert np.allclose(got * signs, coords, atol=0.05)


def test_lift_inverts_project_on_the_plane():
    X, *_ = _plane_data(noise=0.0)
    plane = pca.fit_plane(X)
    back = plane.lift(plane.project(X[:50]))
    assert np.allclose(back, X[:50], atol=1e-5)


def test_components_are_orthonormal_with_a_fixed_sign():
    X, *_ = _plane_data(d=100)
    plane = pca.fit_plane(X)
    assert np.allclose(plane.components @ plane.components.T, np.eye(2), atol=1e-10)
    for row in plane.components:
        assert row[np.argmax(np.abs(row))] > 0


def test_subspace_iteration_matches_a_full_eigendecomposition():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((500, 80)) * np.linspace(3, 0.1, 80)
    plane = pca.fit_plane(X)
    c = X - X.mean(axis=0)
    values, vectors = np.linalg.eigh(c.T @ c / (len(X) - 1))
    top = vectors[:, ::-1][:, :2].T
    assert np.allclose(np.abs(np.sum(plane.components * top, axis=1)), 1.0, atol=1e-6)
    assert np.allclose(plane.variance, values[::-1][:2], rtol=1e-5)


def test_fit_uses_a_seeded_subset_of_many_rows():
    X, *_ = _plane_data(n=3000)
    a = pca.fit_plane(X, max_rows=500, seed=7)
    b = pca.fit_plane(X, max_rows=500, seed=7)
    assert np.array_equal(a.components, b.components)
    assert np.allclose(np.abs(a.components @ pca.fit_plane(X).components.T), np.eye(2), atol=0.01)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        pca.fit_plane(np.zeros((1, 5)))
    plane = pca.fit_plane(np.random.default_rng(0).standard_normal((20, 5)))
    with pytest.raises(ValueError):
        plane.project(np.zeros((3, 4)))
    with pytest.raises(ValueError):
        pca.grid_coords((0, 1, 0, 1), 0, 3)


def test_grid_runs_left_to_right_and_top_to_bottom():
    pts = pca.grid_coords((0.0, 4.0, 0.0, 2.0), cols=4, rows=2)
    assert pts.shape == (8, 2)
    assert np.allclose(pts[:4, 0], [0.5, 1.5, 2.5, 3.5])
    assert np.allclose(pts[:4, 1], 1.5)  # the top row has the largest b
    assert np.allclose(pts[4:, 1], 0.5)
    rows, cols = pca.cell_of(pts, (0.0, 4.0, 0.0, 2.0), 4, 2)
    assert list(rows) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert list(cols) == [0, 1, 2, 3, 0, 1, 2, 3]
    r, c = pca.cell_of(np.array([[9.0, 1.0]]), (0.0, 4.0, 0.0, 2.0), 4, 2)
    assert (r[0], c[0]) == (-1, -1)


def test_class_grid_has_the_grid_shape_and_follows_the_classifier():
    X, _, basis, _ = _plane_data(noise=0.0)
    plane = pca.fit_plane(X)
    u = plane.components[0]
    centre = plane.mean @ u

    def predict(P):  # class 1 right of the plane's vertical axis, class 0 left of it
        s = P @ u - centre
        return np.stack([-s, s], axis=1)

    grid = pca.class_grid(predict, plane, (-3.0, 3.0, -1.0, 1.0), cols=6, rows=3)
    assert grid.shape == (3, 6)
    assert grid.dtype == np.int64
    assert (grid[:, :3] == 0).all() and (grid[:, 3:] == 1).all()


def test_a_class_grid_lifted_a_few_points_at_a_time_is_the_whole_grids(monkeypatch):
    X, _, _, _ = _plane_data(noise=0.0)
    plane = pca.fit_plane(X)
    w = np.random.default_rng(3).normal(size=(X.shape[1], 4))
    calls = []

    def predict(P):
        calls.append(len(P))
        return P @ w

    whole = np.argmax(predict(plane.lift(pca.grid_coords((-3, 3, -1, 1), 13, 7))), 1)
    calls.clear()
    monkeypatch.setattr(pca, "GRID_CHUNK_BYTES", 8 * plane.n_inputs * 10)  # 10 points a call
    grid = pca.class_grid(predict, plane, (-3.0, 3.0, -1.0, 1.0), cols=13, rows=7)
    assert calls == [10] * 9 + [1]
    assert np.array_equal(grid, whole.reshape(7, 13))


def test_decision_plane_with_a_model():
    from nnviz.model import Model

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (300, 16)).astype(np.float32)
    model = Model.from_spec(16, [(8, "sigmoid"), (3, "softmax")], "cross_entropy", seed=0)
    out = pca.decision_plane(model, X, X[:40], np.arange(40) % 3, cols=10, rows=4)
    assert out.classes.shape == (4, 10)
    assert set(np.unique(out.classes)) <= {0, 1, 2}
    assert out.coords.shape == (40, 2)
    a0, a1, b0, b1 = out.extent
    assert (out.coords[:, 0] >= a0).all() and (out.coords[:, 0] <= a1).all()
    assert (out.coords[:, 1] >= b0).all() and (out.coords[:, 1] <= b1).all()


def test_pca_imports_no_interface_or_jit():
    import subprocess
    import sys

    code = (
        "import sys, nnviz.pca; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'numba'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

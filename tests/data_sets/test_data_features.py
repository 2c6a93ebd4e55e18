"""The engineered-feature grammar: spellings, canonical names, what each column computes,
and the one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.data.errors import DataError
from nnviz.data.features import FeatureError, parse_features


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("x1", "x1"), (" x2 ", "x2"), ("x1^2", "x1^2"), ("x1**2", "x1^2"), ("x1²", "x1^2"),
        ("x2³", "x2^3"), ("x1*x2", "x1*x2"), ("x2*x1", "x1*x2"), ("x1 · x2", "x1*x2"),
        ("x1×x2", "x1*x2"), ("x1^2*x2", "x1^2*x2"), ("x1*x1", "x1^2"), ("sin(x1)", "sin(x1)"),
        ("sin( x2 )", "sin(x2)"), ("cos(x1)", "cos(x1)"),
    ],
)  # fmt: skip
def test_spellings_have_one_canonical_name(spelling, name):
    assert parse_features([spelling], 2).names == (name,)


def test_each_column_is_what_its_name_says():
    fmap = parse_features(["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)",
                           "cos(x2)", "x1^2*x2"], 2)  # fmt: skip
    x = np.array([[0.5, -2.0], [3.0, 0.25], [0.0, 1.0]])
    x1, x2 = x[:, 0], x[:, 1]
    want = np.stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2), np.cos(x2),
                     x1**2 * x2], axis=1)  # fmt: skip
    np.testing.assert_allclose(fmap.apply(x, np.float64), want, rtol=1e-15)
    assert fmap.apply(x).dtype == np.float32
    with pytest.raises(DataError, match="expected rows of 2 data columns"):
        fmap.apply(np.zeros((3, 3)))


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["tan(x1)"], "features[0]: 'tan(x1)' is not a feature; allowed: xk, xk^2"),
        (["x1", "x3"], "features[1]: 'x3': x3 is not a data column (the data has x1, x2)"),
        (["x0"], "features[0]: 'x0': x0 is not a data column"),
        (["x1^4"], "features[0]: 'x1^4': degree above 3"),
        (["x1^2*x2^2"], "features[0]: 'x1^2*x2^2': degree above 3"),
        (["x1*x2", "x2*x1"], "features[1]: 'x2*x1' repeats features[0]"),
        (["x1+x2"], "features[0]: 'x1+x2' is not a feature"),
        ([3], "features[0]: expected a feature such as 'x1^2', got 3"),
        ([], "features: the list is empty"),
        ("x1", "features: expected a list of features"),
    ],
)
def test_bad_features_are_one_line_errors(specs, message):
    with pytest.raises(DataError) as err:
        parse_features(specs, 2)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert err.value.key == "features"
    if isinstance(err.value, FeatureError):
        assert str(err.value) == f"features[{err.value.index}]: {err.value.detail}"

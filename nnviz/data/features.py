"""Engineered input features: the columns a network reads, computed from the data's own.

A scenario names them under [data] (``features = ["x1", "x2", "x1^2", "x1*x2", "sin(x1)"]``) and
nnviz.model applies the map to every row it is given: training batches, evaluation, the region
grids (so regions still plot over the raw x1/x2 plane) and the truth table.

The grammar, small on purpose (blanks are ignored; x1 is the data's first column):

    feature  = product | func "(" var ")"
    product  = power { ("*" | "·" | "×") power }        at most 3 factors
    power    = var [ ("^" | "**") n ] | var ("²" | "³")   n = 1, 2 or 3
    func     = "sin" | "cos"
    var      = "x" k                                    k = 1 … number of data columns

Every feature has one canonical spelling, its column's name: "x1", "x1^2", "x1*x2",
"x1^2*x2", "sin(x1)" (factors in column order, so "x2*x1" is "x1*x2").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnviz.data.errors import DataError

FUNCTIONS = {"sin": np.sin, "cos": np.cos}
MAX_FACTORS = 3
MAX_POWER = 3
MAX_FEATURES = 64
MAX_INPUTS = 16  # data columns features may be made of (not images)
GRAMMAR = "xk, xk^2, xk^3, xj*xk (up to 3 factors), sin(xk), cos(xk)"

_VAR = r"x([0-9]+)"
_POWER = re.compile(_VAR + r"(?:(?:\^|\*\*)([0-9]+)|(²|³))?")
_FUNC = re.compile(r"([a-z]+)\(" + _VAR + r"\)")
_TIMES = re.compile(r"(?<!\*)\*(?!\*)|·|×")
_SUPERSCRIPT = {"²": 2, "³": 3}


class FeatureError(DataError):
    """A feature that cannot be read or computed; ``key`` is "features", ``index`` which one."""

    def __init__(self, index: int, detail: str):
        super().__init__(f"features[{index}]: {detail}", key="features", detail=detail)
        self.index = index


@dataclass(frozen=True)
class Feature:
    """One column: a product of powers of input columns ((column, power), ... in column order;
    columns 0-based), or a function of one column."""

    name: str
    factors: tuple[tuple[int, int], ...] = ()
    function: str = ""  # sin | cos, of column factors[0][0]

    def compute(self, x: np.ndarray) -> np.ndarray:
        """This column for every row of x (float64, rows × data columns)."""
        if self.function:
            return FUNCTIONS[self.function](x[:, self.factors[0][0]])
        out = np.ones(x.shape[0])
        for column, power in self.factors:
            out = out * x[:, column] ** power
        return out


def _column(index: int, text: str, k: str, n_inputs: int | None) -> int:
    column = int(k) - 1
    if column < 0 or (n_inputs is not None and column >= n_inputs):
        have = ", ".join(f"x{j + 1}" for j in range(n_inputs or 0)) or "none"
        raise FeatureError(index, f"{text!r}: x{k} is not a data column (the data has {have})")
    return column


def parse_feature(index: int, text: object, n_inputs: int | None) -> Feature:
    """One feature from its spelling; FeatureError saying what is wrong with it."""
    if not isinstance(text, str):
        raise FeatureError(index, f"expected a feature such as 'x1^2', got {text!r}")
    plain = re.sub(r"\s+", "", text)
    unknown = f"{text!r} is not a feature; allowed: {GRAMMAR}"
    call = _FUNC.fullmatch(plain)
    if call is not None:
        if call.group(1) not in FUNCTIONS:
            raise FeatureError(index, unknown)
        column = _column(index, text, call.group(2), n_inputs)
        return Feature(f"{call.group(1)}(x{column + 1})", ((column, 1),), call.group(1))
    parts = _TIMES.split(plain)
    if not plain or len(parts) > MAX_FACTORS:
        raise FeatureError(index, unknown)
    powers: dict[int, int] = {}
    for part in parts:
        match = _POWER.fullmatch(part)
        if match is None:
            raise FeatureError(index, unknown)
        column = _column(index, text, match.group(1), n_inputs)
        power = int(match.group(2)) if match.group(2) else _SUPERSCRIPT.get(match.group(3), 1)
        powers[column] = powers.get(column, 0) + power
    if any(not 1 <= p <= MAX_POWER for p in powers.values()) or sum(powers.values()) > MAX_POWER:
        raise FeatureError(index, f"{text!r}: degree above {MAX_POWER}; allowed: {GRAMMAR}")
    factors = tuple(sorted(powers.items()))
    name = "*".join(f"x{c + 1}" + (f"^{p}" if p > 1 else "") for c, p in factors)
    return Feature(name, factors)


@dataclass(frozen=True)
class FeatureMap:
    """The columns a network reads, from ``raw_inputs`` data columns."""

    features: tuple[Feature, ...]
    raw_inputs: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def table(self) -> np.ndarray:
        """The engine's feature table (op "features"): a row per column, [kind, column, power,
        column, power, column, power], kind 0 a product, 1 sin, 2 cos."""
        out = np.zeros((len(self.features), 7), np.float64)
        for j, feature in enumerate(self.features):
            out[j, 0] = {"": 0, "sin": 1, "cos": 2}[feature.function]
            for k, (column, power) in enumerate(feature.factors):
                out[j, 1 + 2 * k] = column
                out[j, 2 + 2 * k] = 0 if feature.function else power
        return out

    def apply(self, x, dtype=np.float32) -> np.ndarray:
        """Every row of x (rows × raw_inputs) as the network's columns, computed in float64."""
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or x.shape[1] != self.raw_inputs:
            raise DataError(
                f"features: expected rows of {self.raw_inputs} data columns, got shape {x.shape}"
            )
        out = np.empty((x.shape[0], len(self.features)), np.float64)
        for j, feature in enumerate(self.features):
            out[:, j] = feature.compute(x)
        return np.ascontiguousarray(out, dtype=dtype)


def parse_features(specs: Sequence[object], n_inputs: int | None) -> FeatureMap:
    """The map a list of spellings describes; FeatureError for an unknown, repeated or
    out-of-range feature. ``n_inputs`` is the data's columns (None: not known yet)."""
    if isinstance(specs, str) or not isinstance(specs, Sequence):
        raise DataError("features: expected a list of features such as ['x1', 'x2', 'x1^2']",
                        key="features", detail="expected a list of features such as "
                        "['x1', 'x2', 'x1^2']")  # fmt: skip
    if not specs:
        raise DataError("features: the list is empty (leave it out to use the data's columns)",
                        key="features", detail="the list is empty (leave it out to use the "
                        "data's columns)")  # fmt: skip
    if len(specs) > MAX_FEATURES:
        detail = f"{len(specs)} features, more than nnviz's limit of {MAX_FEATURES}"
        raise DataError(f"features: {detail}", key="features", detail=detail)
    features = []
    seen: dict[str, int] = {}
    for i, text in enumerate(specs):
        feature = parse_feature(i, text, n_inputs)
        if feature.name in seen:
            raise FeatureError(i, f"{text!r} repeats features[{seen[feature.name]}]")
        seen[feature.name] = i
        features.append(feature)
    used = max(c for f in features for c, _ in f.factors) + 1
    return FeatureMap(tuple(features), n_inputs if n_inputs is not None else used)

"""The Dataset record every data kind loads into."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.data.errors import DataError

TASKS = ("binary", "multiclass", "regression")


def _as_matrix(array: object, what: str, name: str) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=np.float32)
    if out.ndim != 2:
        raise DataError(f"dataset {name!r}: {what} must be 2-D, got shape {out.shape}")
    return out


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training (and optionally test) arrays with what they mean.

    Arrays are float32, 2-D and C-contiguous (anything else passed in is converted).
    ``y`` is one-hot (N, K) for multiclass, (N, 1) of 0/1 for binary, (N, 1) targets for
    regression.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    class_names: tuple[str, ...] = ()
    source: str = ""
    image_shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DataError(f"dataset {self.name!r}: task must be one of {', '.join(TASKS)}")
        fields = {"x_train": self.x_train, "y_train": self.y_train}
        if (self.x_test is None) != (self.y_test is None):
            raise DataError(f"dataset {self.name!r}: x_test and y_test must both be given or not")
        if self.x_test is not None:
            fields.update(x_test=self.x_test, y_test=self.y_test)
        for what, value in fields.items():
            object.__setattr__(self, what, _as_matrix(value, what, self.name))
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if x is not None and x.shape[0] != y.shape[0]:
                raise DataError(
                    f"dataset {self.name!r}: x_{split} has {x.shape[0]} rows, "
                    f"y_{split} has {y.shape[0]}"
                )
        if self.x_test is not None and (
            self.x_test.shape[1] != self.x_train.shape[1]
            or self.y_test.shape[1] != self.y_train.shape[1]
        ):
            raise DataError(f"dataset {self.name!r}: test columns differ from training columns")
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))
        if self.image_shape is not None:
            shape = tuple(int(s) for s in self.image_shape)
            if len(shape) != 2 or shape[0] * shape[1] != self.x_train.shape[1]:
                raise DataError(
                    f"dataset {self.name!r}: image_shape {self.image_shape} does not match "
                    f"{self.x_train.shape[1]} inputs"
                )
            object.__setattr__(self, "image_shape", shape)

    def __repr__(self) -> str:
        test = f", test={self.n_test}" if self.x_test is not None else ""
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, train={self.n_train}{test}, "
            f"inputs={self.n_inputs}, outputs={self.n_outputs}, source={self.source!r})"
        )

    @property
    def n_inputs(self) -> int:
        """D, the number of input columns."""
        return int(self.x_train.shape[1])

    @property
    def n_outputs(self) -> int:
        """K, the number of target columns."""
        return int(self.y_train.shape[1])

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return 0 if self.x_test is None else int(self.x_test.shape[0])

    def _labels(self, y: np.ndarray | None) -> np.ndarray | None:
        if y is None or self.task == "regression":
            return None
        if self.task == "binary":
            return (y[:, 0] > 0.5).astype(np.int64)
        return np.argmax(y, axis=1).astype(np.int64)

    @property
    def labels_train(self) -> np.ndarray | None:
        """Class index of each training row (int64), or None for regression."""
        return self._labels(self.y_train)

    @property
    def labels_test(self) -> np.ndarray | None:
        """Class index of each test row (int64), or None without a test set or for regression."""
        return self._labels(self.y_test)

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """((xmin, xmax), (ymin, ymax)) of x_train with a 10 % margin, for 2-D inputs only."""
        if self.n_inputs != 2 or self.n_train == 0:
            return None
        lo = self.x_train.min(axis=0).astype(np.float64)
        hi = self.x_train.max(axis=0).astype(np.float64)
        out = []
        for a, b in zip(lo, hi, strict=True):
            margin = 0.1 * (b - a) if b > a else 0.5
            out.append((float(a - margin), float(b + margin)))
        return out[0], out[1]

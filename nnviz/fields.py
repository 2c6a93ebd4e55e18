"""Field specs: what one value may be (a scenario key, a data kind's param), as data, and the one
checker of such values.

A ``Field`` says a value's type, default, bounds and choices; ``Field.check(value)`` returns the
value normalised (an int given for a number becomes a float, an array a list) or raises
``FieldError``, whose ``detail`` says what is wrong in one line and whose ``key`` (when the caller
gave one) says where. The scenario loader and nnviz.data both check through here; each frames
the detail its own way (``<file>: data.n: <detail>``, ``circles: param 'n' <detail>``), and the
playground checks one typed value with the same fields.

Standard library only (a foundation: every layer may import it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnviz.errors import InputError

REQUIRED: Any = object()  # the default of a field that has none

_NOUNS = {int: "an integer", float: "a number", str: "a string", list: "a list", bool: "a boolean"}


class FieldError(InputError):
    """A value a field refuses. ``detail`` is what is wrong ("must be at least 1, got 0");
    ``key`` where (a key path such as "data.n", or None); the message is "key: detail"."""

    def __init__(self, detail: str, key: str | None = None):
        super().__init__(f"{key}: {detail}" if key else detail)
        self.key = key
        self.detail = detail


def num(value: float) -> str:
    """A number as a message shows it (integers without a fraction)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, int) else repr(float(value))


def describe(value: Any) -> str:
    """What a TOML value is, for 'expected X, got Y' messages."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return "a date/time"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range_num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Field:
    """One value's rules.

    ``type`` is int, float, str, bool or list; ``default`` is REQUIRED when there is none.
    ``lo``/``hi`` bound numbers (``lo_open``/``hi_open`` exclude the bound); ``choices``
    restricts strings; ``limit`` says that ``hi`` is one of nnviz's limits (nnviz.limits), and
    the message says so. ``whole_range``: a value above ``hi`` or not among ``choices`` is told
    the whole valid range ("must be an integer >= 1 and <= 1,000,000", "must be one of a, b"),
    as a data kind's params are; otherwise the bound it crosses ("must be at most 1.0",
    "'x' is not one of a, b"), as the rest of a scenario file is.
    """

    type: type
    default: Any = REQUIRED
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    limit: bool = False
    whole_range: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        """What a valid value looks like: "one of a, b", "an integer >= 1 and <= 1,000"."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {_range_num(self.lo)}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {_range_num(self.hi)}")
        noun = _NOUNS[self.type]
        return noun + (" " + " and ".join(parts) if parts else "")

    def check(self, value: Any, key: str | None = None) -> Any:
        """The value normalised, or FieldError (with ``key``) saying what is wrong."""
        try:
            return self._check(value)
        except FieldError as exc:
            if key is None:
                raise
            raise FieldError(exc.detail, key) from None

    def _check(self, value: Any) -> Any:
        t = self.type
        if t is bool:
            if not isinstance(value, bool):
                raise FieldError(f"expected true or false, got {describe(value)}")
            return value
        if t is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise FieldError(f"expected an integer, got {describe(value)}")
            self._bounds(value)
            return value
        if t is float:
            if not is_number(value):
                raise FieldError(f"expected a number, got {describe(value)}")
            value = float(value)
            if not math.isfinite(value):
                raise FieldError(f"must be a finite number, got {num(value)}")
            self._bounds(value)
            return value
        if t is str:
            if not isinstance(value, str):
                raise FieldError(f"expected a string, got {describe(value)}")
            if self.choices and value not in self.choices:
                if self.whole_range:
                    raise FieldError(f"must be {self.describe()}, got {value!r}")
                raise FieldError(f"{value!r} is not one of {', '.join(self.choices)}")
            return value
        if t is list:
            if not isinstance(value, list | tuple):
                raise FieldError(f"expected an array, got {describe(value)}")
            return list(value)
        raise TypeError(f"a field of type {t!r}")  # a mistake in a field table, not input

    def _bounds(self, value: float) -> None:
        lo, hi = self.lo, self.hi
        if lo is not None and (value <= lo if self.lo_open else value < lo):
            bound = "greater than" if self.lo_open else "at least"
            raise FieldError(f"must be {bound} {num(lo)}, got {num(value)}")
        if hi is not None and (value >= hi if self.hi_open else value > hi):
            if self.whole_range:
                raise FieldError(f"must be {self.describe()}, got {value!r}")
            if self.limit:
                raise FieldError(f"must be at most {hi:,} (nnviz's limit), got {value:,}")
            bound = "less than" if self.hi_open else "at most"
            raise FieldError(f"must be {bound} {num(hi)}, got {num(value)}")


def defaults(fields: Mapping[str, Field]) -> dict[str, Any]:
    """name -> default value, or the field's type when it is required."""
    return {name: (f.type if f.required else f.default) for name, f in fields.items()}

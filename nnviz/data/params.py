"""Checking a data kind's params: known keys, right types, values in range."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nnviz.data.errors import DataError, param_error

REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """One param of a data kind.

    ``type`` is int, float, str or list; ``default`` is REQUIRED when the param has none.
    ``lo``/``hi`` bound numbers (``lo_open`` excludes ``lo``, ``hi_open`` excludes ``hi``);
    ``choices`` restricts strings.
    """

    type: type
    default: Any = REQUIRED
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        noun = {int: "an integer", float: "a number", str: "a string", list: "a list"}[self.type]
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {_num(self.lo)}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {_num(self.hi)}")
        return noun + (" " + " and ".join(parts) if parts else "")

    def check(self, kind: str, name: str, value: Any) -> Any:
        """The value, converted (ints to float for float params), or DataError."""

        def bad() -> DataError:
            return param_error(kind, name, f"must be {self.describe()}, got {value!r}")

        if isinstance(value, bool):
            raise bad()
        if self.type is int:
            if not isinstance(value, int):
                raise bad()
        elif self.type is float:
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise bad()
            value = float(value)
        elif self.type is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise bad()
        elif self.type is list:
            if not isinstance(value, list | tuple):
                raise bad()
            value = list(value)
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            raise bad()
        if self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi):
            raise bad()
        return value


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def validate(kind: str, spec: Mapping[str, Param], params: Mapping[str, Any] | None) -> dict:
    """All of a kind's params: given ones checked, missing ones defaulted."""
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise DataError(f"{kind}: params must be a table of key = value, got {params!r}")
    for name in params:
        if name not in spec:
            allowed = ", ".join(spec) or "none"
            raise DataError(
                f"{kind}: unknown param {name!r} (allowed: {allowed})",
                key=name,
                detail=f"unknown key (allowed: {allowed})",
            )
    out = {}
    for name, param in spec.items():
        if name in params:
            out[name] = param.check(kind, name, params[name])
        elif param.required:
            raise param_error(kind, name, f"is required ({param.describe()})")
        else:
            out[name] = param.default
    return out


def defaults(spec: Mapping[str, Param]) -> dict[str, Any]:
    """name -> default value, or the param's type when it is required."""
    return {name: (p.type if p.required else p.default) for name, p in spec.items()}

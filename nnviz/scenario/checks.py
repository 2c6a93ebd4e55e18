"""Checking the values of a scenario file: types, ranges, names, unknown keys.

Every failure is a ScenarioError whose message is one line:
``<file name>: <key path>: <what is wrong>[; allowed: ...]``.
Standard library only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from nnviz.errors import InputError
from nnviz.fields import REQUIRED, Field, FieldError, describe, is_number, num

__all__ = [
    "REQUIRED",
    "Checker",
    "Field",
    "ScenarioError",
    "Table",
    "close_matches",
    "data_error_key",
    "describe",
    "did_you_mean",
    "is_number",
    "join",
    "num",
    "one_line",
]


class ScenarioError(InputError):
    """A scenario file could not be read or is not valid; the message is one line.

    When the fault is in one value, ``key`` is its key path ("training.epochs") and ``detail``
    what is wrong with it; both are None for a fault of the whole file."""

    def __init__(self, message: str, *, key: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.key = key
        self.detail = detail


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def one_line(text: str) -> str:
    """The text with line breaks (and the blanks around them) folded into single spaces."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def join(prefix: str, key: str | int) -> str:
    """A key path: ``model`` + ``layers`` -> ``model.layers``; + 1 -> ``model.layers[1]``."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    shown = key if _PLAIN_KEY.fullmatch(key) else f'"{key}"'
    return f"{prefix}.{shown}" if prefix else shown


def close_matches(word: str, options: Iterable[str]) -> list[str]:
    """The options the word was most likely meant to be: the closest, or two equally close."""
    options = list(options)
    for option in options:
        if option.lower() == word.lower():
            return [option]
    scored = []
    for option in options:
        matcher = difflib.SequenceMatcher(None, word, option)
        if matcher.ratio() >= 0.6:
            scored.append((matcher.ratio(), option))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [option for score, option in scored if score == best][:2]


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``), or ``""`` when nothing is close."""
    found = close_matches(word, options)
    return "; did you mean " + " or ".join(repr(f) for f in found) + "?" if found else ""


class Checker:
    """Raises the one-line errors of one file."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, what: str, allowed: Iterable[str] | None = None) -> NoReturn:
        if allowed is not None:
            what += "; allowed: " + ", ".join(allowed)
        what = one_line(what)
        if not self.file:  # one value checked alone (check_value): no file to name
            raise ScenarioError(f"{key}: {what}" if key else what, key=key or None, detail=what)
        message = f"{self.file}: {key}: {what}" if key else f"{self.file}: {what}"
        raise ScenarioError(one_line(message), key=key or None, detail=what)

    # -- single values: each through a Field of nnviz.fields ---------------------------------

    def field(self, key: str, value: Any, spec: Field) -> Any:
        """The value as ``spec`` normalises it, or this file's one-line error at ``key``."""
        try:
            return spec.check(value)
        except FieldError as exc:
            self.fail(key, exc.detail)

    def integer(self, key: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
        return self.field(key, value, Field(int, lo=lo, hi=hi, limit=hi is not None))

    def number(
        self,
        key: str,
        value: Any,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
        hi_open: bool = False,
    ) -> float:
        return self.field(key, value, Field(float, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open))

    def string(self, key: str, value: Any) -> str:
        return self.field(key, value, Field(str))

    def boolean(self, key: str, value: Any) -> bool:
        return self.field(key, value, Field(bool))

    def choice(self, key: str, value: Any, choices: Sequence[str]) -> str:
        return self.field(key, value, Field(str, choices=tuple(choices)))

    def array(self, key: str, value: Any) -> list:
        if not isinstance(value, list):  # a TOML array, as it is (not a copy)
            self.fail(key, f"expected an array, got {describe(value)}")
        return value

    def table(self, key: str, value: Any, allowed: Sequence[str]) -> Table:
        if not isinstance(value, Mapping):
            self.fail(key, f"expected a table, got {describe(value)}")
        return Table(self, key, value, allowed)


class Table:
    """One TOML table being checked: unknown keys are rejected on construction."""

    def __init__(self, chk: Checker, path: str, data: Mapping[str, Any], allowed: Sequence[str]):
        self.chk = chk
        self.path = path
        self.data = data
        for key in data:
            if key not in allowed:
                here = join(path, key)
                hint = did_you_mean(key, allowed)
                if hint:
                    chk.fail(here, "unknown key" + hint)
                chk.fail(here, "unknown key", allowed=allowed)

    def key(self, name: str | int) -> str:
        return join(self.path, name)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = REQUIRED, allowed: Sequence[str] | None = None) -> Any:
        if name in self.data:
            return self.data[name]
        if default is REQUIRED:
            self.chk.fail(self.key(name), "missing required key", allowed=allowed)
        return default

    def integer(
        self, name: str, default: Any = REQUIRED, lo: int | None = None, hi: int | None = None
    ) -> int:
        value = self.raw(name, default)
        return self.chk.integer(self.key(name), value, lo, hi) if name in self.data else value

    def number(self, name: str, default: Any = REQUIRED, **bounds: Any) -> float:
        value = self.raw(name, default)
        return self.chk.number(self.key(name), value, **bounds) if name in self.data else value

    def string(self, name: str, default: Any = REQUIRED) -> str:
        value = self.raw(name, default)
        return self.chk.string(self.key(name), value) if name in self.data else value

    def boolean(self, name: str, default: Any = REQUIRED) -> bool:
        value = self.raw(name, default)
        return self.chk.boolean(self.key(name), value) if name in self.data else value

    def choice(self, name: str, choices: Sequence[str], default: Any = REQUIRED) -> str:
        value = self.raw(name, default, allowed=choices)
        return self.chk.choice(self.key(name), value, choices) if name in self.data else value

    def field(self, name: str, spec: Field) -> Any:
        """The value of key ``name`` checked by ``spec`` (its default when absent)."""
        value = self.raw(name, spec.default, allowed=spec.choices or None)
        return self.chk.field(self.key(name), value, spec) if name in self.data else value

    def fields(self, specs: Mapping[str, Field]) -> dict[str, Any]:
        """Every key of ``specs`` checked (defaults filled in), by name."""
        return {name: self.field(name, spec) for name, spec in specs.items()}


# -- errors from nnviz.data -----------------------------------------------------------------


def data_error_key(kind: str, exc, params: Iterable[str]) -> tuple[str, str]:
    """(key path, what is wrong) of a DataError raised for a ``kind`` data set.

    A fault in one param carries that param as ``exc.key`` (nnviz.data.errors): the key
    becomes ``data.<key>``. A file's fault is put on ``data.path`` (or ``data.source``),
    anything else on ``data``.
    """
    params = list(params)
    text = one_line(str(exc))
    if getattr(exc, "key", None):
        return join("data", exc.key), one_line(exc.detail)
    if "path" in params:
        return "data.path", text
    if "source" in params:
        return "data.source", text.removeprefix(f"{kind}: ")
    return "data", text

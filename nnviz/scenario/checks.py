"""Checking the values of a scenario file: types, ranges, names, unknown keys.

Every failure is a ScenarioError whose message is one line:
``<file name>: <key path>: <what is wrong>[; allowed: ...]``.
Standard library only.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

from nnviz.errors import InputError


class ScenarioError(InputError):
    """A scenario file could not be read or is not valid; the message is one line."""


REQUIRED: Any = object()

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


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Checker:
    """Raises the one-line errors of one file."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, what: str, allowed: Iterable[str] | None = None) -> NoReturn:
        message = f"{self.file}: {key}: {what}" if key else f"{self.file}: {what}"
        if allowed is not None:
            message += "; allowed: " + ", ".join(allowed)
        raise ScenarioError(one_line(message))

    # -- single values ---------------------------------------------------------------------

    def integer(self, key: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(key, f"expected an integer, got {describe(value)}")
        if lo is not None and value < lo:
            self.fail(key, f"must be at least {lo}, got {value}")
        if hi is not None and value > hi:
            self.fail(key, f"must be at most {hi:,} (nnviz's limit), got {value:,}")
        return value

    def number(
        self,
        key: str,
        value: Any,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
        hi_open: bool = False,
    ) -> float:
        if not is_number(value):
            self.fail(key, f"expected a number, got {describe(value)}")
        value = float(value)
        if not math.isfinite(value):
            self.fail(key, f"must be a finite number, got {num(value)}")
        if lo is not None and (value <= lo if lo_open else value < lo):
            bound = "greater than" if lo_open else "at least"
            self.fail(key, f"must be {bound} {num(lo)}, got {num(value)}")
        if hi is not None and (value >= hi if hi_open else value > hi):
            bound = "less than" if hi_open else "at most"
            self.fail(key, f"must be {bound} {num(hi)}, got {num(value)}")
        return value

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {describe(value)}")
        return value

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {describe(value)}")
        return value

    def choice(self, key: str, value: Any, choices: Sequence[str]) -> str:
        value = self.string(key, value)
        if value not in choices:
            self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def array(self, key: str, value: Any) -> list:
        if not isinstance(value, list):
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

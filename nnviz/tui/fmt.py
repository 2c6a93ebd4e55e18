"""Text for numbers and formulas: subscript digits, compact vectors, aligned matrices."""

from __future__ import annotations

import re

import numpy as np

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_NAME_DIGITS = re.compile(r"(?<=[A-Za-zθ])(\d+)")


def sub(text: str) -> str:
    """Digits that end a name become subscripts: 'z1 = x·W1 + b1' → 'z₁ = x·W₁ + b₁'."""
    return _NAME_DIGITS.sub(lambda m: m.group(1).translate(_SUB), text)


def num(x: float, digits: int = 4) -> str:
    """A number in `digits` significant digits, with a plain '-' (easy to read back)."""
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return "0" if text == "-0" else text


def vector(values, digits: int = 3, width: int | None = None) -> str:
    """'[0.51 0.33 0.71]', cut to `width` with '…' when it does not fit."""
    arr = np.asarray(values, np.float64).ravel()
    items = [num(v, digits) for v in arr]
    text = "[" + " ".join(items) + "]"
    if width is None or len(text) <= width:
        return text
    out = "["
    for item in items:
        if len(out) + len(item) + 4 > width:
            break
        out += ("" if out == "[" else " ") + item
    return out + " …]" if out != "[" else "[…]"


def short(x: float, digits: int = 2) -> str:
    """A number for a narrow column: '.52', '-.12', '3e-5'."""
    text = num(x, digits)
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def compact(values, width: int, digits: int = 3) -> str:
    """A node's value in at most `width` characters: a number, a vector, or a summary."""
    arr = np.asarray(values, np.float64)
    if arr.size == 1:
        return num(arr.ravel()[0], digits)[:width]
    if arr.ndim == 2 and arr.shape[0] > 1 and arr.shape[1] > 1:
        norm = float(np.sqrt(np.sum(arr * arr)))
        return f"‖{num(norm, digits)}‖"[:width]
    text = vector(arr, digits, width)
    if "…" in text or len(text) > width:
        items = [short(v) for v in arr.ravel()]
        text = "[" + " ".join(items) + "]"
        if len(text) > width:
            out = "["
            for item in items:
                if len(out) + len(item) + 4 > width:
                    break
                out += ("" if out == "[" else " ") + item
            text = out + " …]" if out != "[" else "[…]"
    return text[:width]


def matrix(
    values, digits: int = 5, max_rows: int = 8, max_cols: int = 8, width: int | None = None
) -> list[str]:
    """An aligned matrix, one line per row, cut to max_rows × max_cols with '…'.

    Given a width, fewer digits are shown (down to 2), then fewer columns, until it fits.
    """
    arr = np.asarray(values, np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    cols = arr.shape[1]
    lines = _matrix(arr, digits, max_rows, max_cols)
    if width is None:
        return lines
    while max(len(x) for x in lines) > width and digits > 2:
        digits -= 1
        lines = _matrix(arr, digits, max_rows, max_cols)
    shown = min(cols, max_cols)
    while max(len(x) for x in lines) > width and shown > 1:
        shown -= 1
        lines = _matrix(arr, digits, max_rows, shown)
    return lines


def _matrix(arr: np.ndarray, digits: int, max_rows: int, max_cols: int) -> list[str]:
    rows, cols = arr.shape
    shown = arr[:max_rows, :max_cols]
    cells = [[num(v, digits) for v in row] for row in shown]
    width = max((len(c) for row in cells for c in row), default=1)
    lines = []
    for r, row in enumerate(cells):
        text = " ".join(c.rjust(width) for c in row)
        if cols > max_cols:
            text += " …"
        open_, close = ("[", "]") if rows == 1 else ("⎡", "⎤") if r == 0 else ("⎢", "⎥")
        if rows > 1 and r == len(cells) - 1 and rows <= max_rows:
            open_, close = "⎣", "⎦"
        lines.append(f"{open_}{text}{close}")
    if rows > max_rows:
        lines.append(f"  … {rows - max_rows} more rows")
    return lines


def shape(rows: int, cols: int, batched: bool) -> str:
    return f"{'B' if batched else rows}×{cols}"

"""What the pictures' colours and characters mean: the class colours and the confidence scale
of the decision regions (or their characters in ASCII mode), the data points' marks, and the
value scale of the hidden-unit maps."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

from nnviz.explorer import Controller
from nnviz.tui import fmt
from nnviz.tui.draw.palette import (
    CLASS_CHARS,
    CURVE_CHARS,
    CURVE_RGB,
    DATA_RGB,
    POINT_CHARS,
    POINT_GLYPH,
    SHADES,
    TEST_DATA_RGB,
    TEST_POINT_CHARS,
    TEST_POINT_GLYPH,
    scale_rgb,
)
from nnviz.tui.widgets.painters import UNSURE, confidence_rgb, point_rgb

SWATCHES = 5  # steps shown of a colour scale


def _bg(rgb) -> Style:
    return Style(bgcolor=Color.from_rgb(*(int(v) for v in rgb)))


def _fg(rgb) -> Style:
    return Style(color=Color.from_rgb(*(int(v) for v in rgb)), bold=True)


def class_names(ctl: Controller) -> list[str]:
    """The classes' names: the data set's, else 'y=0', 'y=1' (binary) or 'class k'."""
    ds = ctl.dataset
    n = 2 if ctl.task != "multiclass" else ctl.graph.nodes[ctl.model.prediction].cols
    names = list(getattr(ds, "class_names", ()) or ())
    if len(names) >= n and names[:n] != [str(k) for k in range(n)]:
        return names[:n]
    return [f"y={k}" for k in range(n)] if n == 2 else [f"class {k}" for k in range(n)]


def legend_text(
    ctl: Controller, width: int, ascii_mode: bool, *, discrete: bool, points: bool
) -> Text:
    """A few lines under the regions (or the fitted curve) saying what is drawn."""
    out = Text(no_wrap=True, overflow="ellipsis")
    ds = ctl.dataset
    has_test = ds is not None and ds.n_test > 0
    if ds is not None and ds.n_inputs == 1:
        _curve_legend(out, ascii_mode, points, has_test)
    elif ctl.task == "regression":
        _value_legend(out, ascii_mode, discrete)
    else:
        _class_legend(out, ctl, ascii_mode, discrete)
        if points:
            _points_legend(out, ctl, ascii_mode, has_test)
    keys = ("d: " + ("shaded" if discrete else "discrete") + " · ") if ds.n_inputs == 2 else ""
    out.append(keys + ("h: hide points" if points else "h: show points") + "\n", style="dim")
    return out


def _class_legend(out: Text, ctl: Controller, ascii_mode: bool, discrete: bool) -> None:
    names = class_names(ctl)
    steps = [1.0] if discrete else list(np.linspace(0, 1, SWATCHES))
    for k, name in enumerate(names):
        if ascii_mode:
            out.append(f"'{CLASS_CHARS[k % len(CLASS_CHARS)]}'", style="bold")
        else:
            for c in steps:  # from undecided to sure
                out.append(" ", style=_bg(confidence_rgb(np.array(k), np.array(c))))
        out.append(f" {name}  ")
    out.append("\n")
    if discrete:
        out.append("each cell: the class the network predicts\n", style="dim")
    elif ascii_mode:
        out.append(f"' ' undecided (confidence < {fmt.num(UNSURE, 2)})\n", style="dim")
    else:
        out.append("shade = confidence: grey 0 … 1\n", style="dim")


def _points_legend(out: Text, ctl: Controller, ascii_mode: bool, has_test: bool) -> None:
    n = len(class_names(ctl))
    for label, marks, glyph, test in (
        ("train", POINT_CHARS, POINT_GLYPH, False),
        ("test", TEST_POINT_CHARS, TEST_POINT_GLYPH, True),
    ):
        if test and not has_test:
            continue
        for k in range(min(n, 4)):
            if ascii_mode:
                out.append(marks[k % len(marks)], style="bold")
            else:
                out.append(glyph, style=_fg(point_rgb(k, test)))
        out.append(f" {label} data  ")
    out.append("\n")


def _value_legend(out: Text, ascii_mode: bool, discrete: bool) -> None:
    out.append("output low ", style="dim")
    if ascii_mode:
        out.append(SHADES, style="bold")
    else:
        for c in np.linspace(0, 1, 8):
            out.append(" ", style=_bg(scale_rgb(np.array(c))))
    out.append(" high\n", style="dim")


def _curve_legend(out: Text, ascii_mode: bool, points: bool, has_test: bool) -> None:
    lines = [[(CURVE_CHARS[3], "━", CURVE_RGB, "the network's output")]]
    if points:
        lines.append([(CURVE_CHARS[2], "▪", DATA_RGB, "train data")])
        if has_test:
            lines[-1].append((CURVE_CHARS[4], "▪", TEST_DATA_RGB, "test data"))
    for items in lines:
        for char, glyph, rgb, what in items:
            out.append(char if ascii_mode else glyph, style="bold" if ascii_mode else _fg(rgb))
            out.append(f" {what}  ")
        out.append("\n")


def scale_text(
    scales: dict[str, tuple[float, float]], width: int, ascii_mode: bool, curves: bool = False
) -> Text:
    """The hidden-unit maps' value scale, one per layer: 'u₁ −1 ▁▂▃▅▇ 1' (curves: the
    range each tile's height spans)."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if curves:
        for name, (lo, hi) in scales.items():
            out.append(f"{fmt.sub(name)} ", style="bold")
            out.append(f"{fmt.num(lo, 2)} (bottom) … {fmt.num(hi, 2)} (top)  ", style="dim")
        out.append("\n" if scales else "")
        return out
    for name, (lo, hi) in scales.items():
        out.append(f"{fmt.sub(name)} ", style="bold")
        out.append(f"{fmt.num(lo, 2)} ", style="dim")
        if ascii_mode:
            out.append(SHADES, style="bold")
        else:
            for c in np.linspace(0, 1, 8):
                out.append(" ", style=_bg(scale_rgb(np.array(c))))
        out.append(f" {fmt.num(hi, 2)}  ", style="dim")
    if scales:
        out.append("\n")
    return out

"""Text line charts: each series where its numbers say, its own character in ASCII, the log
axes and the marked point."""

from __future__ import annotations

import numpy as np

from nnviz.tui.widgets.charts import LABEL_W, Series, chart_text, legend_text


def _grid(text: str) -> list[str]:
    return [line[LABEL_W + 1 :] for line in text.splitlines() if line[LABEL_W : LABEL_W + 1] == "|"]


def test_two_series_get_their_own_characters_at_their_own_heights():
    xs = np.arange(1.0, 11.0)
    text = chart_text(
        [Series("up", xs, xs), Series("flat", xs, np.full(10, 10.0))], 30, 5, ascii_mode=True
    ).plain
    rows = _grid(text)
    assert len(rows) == 5
    assert set(rows[0].strip()) == {"o"}  # y = 10 is the top row: the flat line (drawn last)
    assert rows[-1][0] == "*"  # y = 1 at x = 1: the bottom-left cell
    assert "10" in text.splitlines()[0] and text.splitlines()[4].strip().startswith("1|")


def test_a_log_axis_puts_decades_evenly():
    xs = np.array([1e-4, 1e-2, 1.0])
    text = chart_text([Series("s", xs, np.array([1.0, 100.0, 1.0]))], 29, 5, log_x=True,
                      ascii_mode=True).plain  # fmt: skip
    top = _grid(text)[0]
    peak = [i for i, c in enumerate(top) if c == "*"]
    assert peak and sum(peak) / len(peak) == 10  # 1e-2: halfway along 20 columns
    assert "0.0001" in text and "(log)" in text


def test_the_mark_sits_under_its_column():
    xs = np.array([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    text = chart_text([Series("s", xs, xs)], 49, 4, log_x=True, log_y=True, ascii_mode=True,
                      mark=(1e-2, 1e-2)).plain  # fmt: skip
    axis = next(line for line in text.splitlines() if "^" in line)
    assert axis.index("^") - (LABEL_W + 1) == 20  # the middle of 41 columns


def test_nothing_finite_says_so():
    text = chart_text([Series("s", np.arange(3.0), np.full(3, np.nan))], 30, 4).plain
    assert "no finite values" in text


def test_the_legend_lists_each_series_with_its_character():
    text = legend_text([(0, "sgd", "final 0.1"), (1, "adam", "final 0.01")], 60, True).plain
    assert text.splitlines() == [" * sgd  final 0.1", " o adam final 0.01"]

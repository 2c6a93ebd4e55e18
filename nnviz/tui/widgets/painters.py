"""The explorer's painters: the output of the network over the input plane (decision regions),
one unit's activation, a fitted curve, drawn as a Picture (nnviz.tui.draw.canvas) of the size
the Canvas asks for, from the grids of nnviz.regions."""

from __future__ import annotations

import numpy as np

from nnviz import regions
from nnviz.tui.draw.canvas import Painter, Picture
from nnviz.tui.draw.palette import (
    AXIS_RGB,
    CLASS_CHARS,
    CLASS_RGB,
    CURVE_CHARS,
    CURVE_RGB,
    DATA_RGB,
    NEUTRAL,
    POINT_CHARS,
    POINT_GLYPH,
    SHADES,
    TEST_DATA_RGB,
    TEST_POINT_CHARS,
    TEST_POINT_GLYPH,
    quantise,
    scale_rgb,
)
from nnviz.tui.fmt import sub as fmt_sub

MAX_GLYPH_POINTS = 64  # more data points than this are drawn as pixels, not as ● glyphs


DISCRETE_LEVELS = 5  # a regression output's steps when the regions are discretized
UNSURE = 0.1  # below this confidence an ASCII region shows as undecided (' ')


def confidence_rgb(cls: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """A class colour by confidence: the undecided grey at 0, the full colour at 1."""
    colours = np.array(CLASS_RGB, np.float64)[np.asarray(cls) % len(CLASS_RGB)]
    conf = np.asarray(conf, np.float64)
    out = np.asarray(NEUTRAL, np.float64) + (colours - NEUTRAL) * (0.25 + 0.75 * conf)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def region_rgb(
    values: np.ndarray, task: str, threshold: float = 0.5, discrete: bool = False
) -> np.ndarray:
    """The output over the plane as colour: blue ← undecided grey → orange for a binary
    output, the class colour by confidence for several classes, a scale for regression.
    Discrete: the class colour alone (regression: DISCRETE_LEVELS steps)."""
    if task == "regression":
        lo, hi = regions.value_range(values)
        t = regions.normalise(values[..., 0], lo, hi)
        if discrete:
            t = regions.levels(values[..., 0], lo, hi, DISCRETE_LEVELS) / (DISCRETE_LEVELS - 1)
        return scale_rgb(t)
    cls = regions.classes(values, task, threshold)
    if discrete:
        return confidence_rgb(cls, np.ones(cls.shape))
    return confidence_rgb(cls, quantise(regions.confidence(values, task)))


def region_chars(
    values: np.ndarray, task: str, threshold: float = 0.5, discrete: bool = True
) -> np.ndarray:
    """One character per class (or per level for regression); not discrete, a cell the
    network is unsure of (confidence below UNSURE) is a blank."""
    if task == "regression":
        lo, hi = regions.value_range(values)
        n = len(SHADES) if not discrete else DISCRETE_LEVELS
        lv = regions.levels(values[..., 0], lo, hi, n)
        ramp = SHADES if not discrete else SHADES[:: max(len(SHADES) // DISCRETE_LEVELS, 1)]
        return np.array(list(ramp))[np.minimum(lv, len(ramp) - 1)]
    cls = regions.classes(values, task, threshold)
    chars = np.array(list(CLASS_CHARS))[cls % len(CLASS_CHARS)]
    if not discrete:
        chars[regions.confidence(values, task) < UNSURE] = " "
    return chars


def paint_regions(
    probe,
    task: str,
    x_range,
    y_range,
    points: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    threshold: float = 0.5,
    *,
    test_points: np.ndarray | None = None,
    test_labels: np.ndarray | None = None,
    discrete: bool = False,
) -> Painter:
    """The output over the plane with the data on top: training points as ● (O, X in
    ASCII), test points as ○ (o, x); no points given, the regions alone."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        if ascii_mode:
            grid = regions.output_grid(probe, x_range, y_range, cols, rows)
            chars = region_chars(grid, task, threshold, discrete)
            _mark_chars(chars, test_points, test_labels, x_range, y_range, TEST_POINT_CHARS)
            _mark_chars(chars, points, labels, x_range, y_range, POINT_CHARS)
            return Picture(cols, rows, chars=["".join(r) for r in chars])
        grid = regions.output_grid(probe, x_range, y_range, cols, 2 * rows)
        rgb = region_rgb(grid, task, threshold, discrete)
        pic = Picture(cols, rows, rgb=rgb)
        glyphs = _point_count(points) + _point_count(test_points) <= MAX_GLYPH_POINTS
        _mark_pixels(pic, test_points, test_labels, x_range, y_range, glyphs, test=True)
        _mark_pixels(pic, points, labels, x_range, y_range, glyphs)
        return pic

    return paint


def _point_count(points) -> int:
    return 0 if points is None else len(points)


def paint_levels(values_fn, activation: str = "", value_range=None) -> Painter:
    """A unit's activation over the plane: values_fn(cols, rows) → (rows, cols), scaled to
    `value_range`, else the activation's range (sigmoid 0 … 1, tanh −1 … 1) or its values."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        grid = values_fn(cols, rows if ascii_mode else 2 * rows)
        lo, hi = value_range or regions.value_range(grid, activation)
        if ascii_mode:
            lv = regions.levels(grid, lo, hi, len(SHADES))
            chars = np.array(list(SHADES))[lv]
            return Picture(cols, rows, chars=["".join(r) for r in chars])
        return Picture(cols, rows, rgb=scale_rgb(regions.normalise(grid, lo, hi)))

    return paint


def paint_unit_curve(xs_fn, x_range, activation: str = "") -> Painter:
    """One hidden unit's activation along the input line: xs_fn(n) → (xs, values (n,))."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        xs, ys = xs_fn(cols * 2)
        y_range = regions.value_range(ys, activation)
        pad = 0.05 * (y_range[1] - y_range[0])
        y_range = (y_range[0] - pad, y_range[1] + pad)
        return paint_curve(lambda n: (xs, ys.reshape(-1, 1)), x_range, y_range)(
            cols, rows, ascii_mode
        )

    return paint


def paint_curve(
    xs_fn,
    x_range,
    y_range,
    points: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    test_points: np.ndarray | None = None,
    test_targets: np.ndarray | None = None,
) -> Painter:
    """A fitted curve (xs_fn(n) → (xs, ys)) over the data points of a 1-D regression
    (training points o, test points x in ASCII; pale in colour)."""

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        height = rows if ascii_mode else 2 * rows
        canvas = np.zeros((height, cols), np.int8)  # 0 empty, 1 axis, 2 data, 3 curve, 4 test
        y0, y1 = y_range
        if y0 < 0 < y1:
            zero = int((y1 - 0.0) / (y1 - y0) * height)
            if 0 <= zero < height:
                canvas[zero, :] = 1
        for pts, tgt, code in ((test_points, test_targets, 4), (points, targets, 2)):
            if pts is None or tgt is None:
                continue
            pr, pc = regions.cell_of(
                np.column_stack([pts[:, 0], tgt[:, 0]]), x_range, y_range, cols, height
            )
            ok = pr >= 0
            canvas[pr[ok], pc[ok]] = code
        xs, ys = xs_fn(cols * 2)
        prev = None
        for x, y in zip(xs, ys[:, 0], strict=True):
            r, c = regions.cell_of(np.array([[x, y]]), x_range, y_range, cols, height)
            if r[0] < 0:
                prev = None
                continue
            rr, cc = int(r[0]), int(c[0])
            if prev is not None and prev[1] == cc - 1 or prev is not None and prev[1] == cc:
                lo, hi = sorted((prev[0], rr))
                canvas[lo : hi + 1, cc] = 3
            canvas[rr, cc] = 3
            prev = (rr, cc)
        if ascii_mode:
            table = np.array(list(CURVE_CHARS))
            return Picture(cols, rows, chars=["".join(r) for r in table[canvas]])
        colours = np.array([(0, 0, 0), AXIS_RGB, DATA_RGB, CURVE_RGB, TEST_DATA_RGB], np.uint8)
        return Picture(cols, rows, rgb=colours[canvas])

    return paint


def _mark_chars(chars, points, labels, x_range, y_range, marks: str) -> None:
    if points is None or len(points) == 0:
        return
    rows, cols = chars.shape
    r, c = regions.cell_of(points[:, :2], x_range, y_range, cols, rows)
    for n in range(len(points)):
        if r[n] >= 0:
            lab = 0 if labels is None else int(labels[n])
            chars[r[n], c[n]] = marks[lab % len(marks)]


def point_rgb(label: int, test: bool = False) -> tuple[int, int, int]:
    """A data point's colour: its class colour, lightened (a test point: nearly white)."""
    base = np.array(CLASS_RGB[label % len(CLASS_RGB)], np.float64)
    mix = 0.8 if test else 0.45
    return tuple(int(v) for v in base + (255 - base) * mix)


def _mark_pixels(
    pic: Picture, points, labels, x_range, y_range, glyphs: bool, test: bool = False
) -> None:
    """Points as ● / ○ glyphs when they are few, else as single pixels (test points paler)."""
    if points is None or len(points) == 0:
        return
    labs = np.zeros(len(points), np.int64) if labels is None else np.asarray(labels, np.int64)
    if glyphs:
        r, c = regions.cell_of(points[:, :2], x_range, y_range, pic.cols, pic.rows)
        mark = TEST_POINT_GLYPH if test else POINT_GLYPH
        for n in range(len(points)):
            if r[n] >= 0:
                pic.glyphs[(int(r[n]), int(c[n]))] = (mark, point_rgb(int(labs[n]), test))
        return
    r, c = regions.cell_of(points[:, :2], x_range, y_range, pic.cols, 2 * pic.rows)
    ok = r >= 0
    colours = np.array([point_rgb(k, test) for k in range(len(CLASS_RGB))], np.uint8)
    pic.rgb[r[ok], c[ok]] = colours[labs[ok] % len(CLASS_RGB)]


# ---------------------------------------------------------------------- hidden units, paged
MIN_TILE_W = 8  # cells
LABEL_RGB = (160, 160, 170)


def unit_tiles(cols: int, rows: int) -> tuple[int, int, int, int]:
    """(per row, rows of tiles, tile width, tile height) for a page of unit maps in a
    cols × rows canvas: as many tiles as fit, each at least MIN_TILE_W wide, about square
    in pixels, with a label row above each."""
    per_row = max((cols + 1) // (MIN_TILE_W + 1), 1)
    tile_w = max((cols + 1) // per_row - 1, 1)
    tile_h = max(tile_w // 2, 3)
    n_rows = max(rows // (tile_h + 1), 1)
    if n_rows * (tile_h + 1) > rows:  # not even one row of full tiles: shorter ones
        tile_h = max(rows - 1, 1)
    return per_row, n_rows, tile_w, tile_h


def layer_ranges(grids: dict[str, np.ndarray], activations: dict[str, str]) -> dict:
    """One value scale per layer, shared by all its units: the activation's range (sigmoid
    0 … 1, tanh −1 … 1) or the range of all the layer's values."""
    return {name: regions.value_range(g, activations[name]) for name, g in grids.items()}


def paint_unit_page(
    probe,
    units: list[tuple[str, int]],
    page: int,
    dims: int,
    x_range,
    y_range=None,
    on_page=None,
    labels: dict | None = None,
) -> Painter:
    """Page `page` of the hidden-unit maps (2 inputs: each unit over the plane; 1 input:
    each unit's curve), each labelled, all units of a layer on one scale. A page holds as
    many as unit_tiles fits in the canvas; `on_page(shown, page, pages, ranges)` hears
    which units were drawn and the layers' scales."""
    activations = {name: regions.activation_of(probe, name) for name, _ in units}

    def paint(cols: int, rows: int, ascii_mode: bool) -> Picture:
        per_row, n_rows, tile_w, tile_h = unit_tiles(cols, rows)
        per_page = per_row * n_rows
        pages = max(-(-len(units) // per_page), 1)
        at = page % pages
        shown = units[at * per_page : (at + 1) * per_page]
        px_h = tile_h if ascii_mode else 2 * tile_h
        grids = {}
        for name in dict.fromkeys(n for n, _ in shown):
            if dims == 2:
                grids[name] = regions.output_grid(probe, x_range, y_range, tile_w, px_h, node=name)
            else:
                xs, vals = regions.curve(probe, x_range, tile_w * 2, node=name)
                grids[name] = vals
        ranges = layer_ranges(grids, activations)
        if on_page is not None:
            on_page(shown, at, pages, ranges)
        pic = Picture.blank(cols, rows, ascii_mode)
        chars = [list(line) for line in pic.chars] if ascii_mode else None
        for k, (name, unit) in enumerate(shown):
            tr, tc = divmod(k, per_row)
            x0, y0 = tc * (tile_w + 1), tr * (tile_h + 1)
            label = ((labels or {}).get((name, unit)) or f"{fmt_sub(name)}[{unit}]")[:tile_w]
            lo, hi = ranges[name]
            if dims == 2:
                tile = paint_levels(lambda c, r, g=grids[name][..., unit]: g, "", (lo, hi))(
                    tile_w, tile_h, ascii_mode
                )
            else:
                pad = 0.05 * (hi - lo)
                vals = grids[name][:, unit]
                xs = regions.line(x_range, tile_w * 2)
                tile = paint_curve(
                    lambda n, xs=xs, v=vals: (xs, v.reshape(-1, 1)), x_range, (lo - pad, hi + pad)
                )(tile_w, tile_h, ascii_mode)
            if ascii_mode:
                chars[y0][x0 : x0 + len(label)] = list(label)
                for r in range(tile_h):
                    chars[y0 + 1 + r][x0 : x0 + tile_w] = list(tile.chars[r][:tile_w])
            else:
                for j, ch in enumerate(label):
                    pic.glyphs[(y0, x0 + j)] = (ch, LABEL_RGB)
                pic.rgb[2 * (y0 + 1) : 2 * (y0 + 1 + tile_h), x0 : x0 + tile_w] = tile.rgb
        if ascii_mode:
            pic.chars = ["".join(line) for line in chars]
        return pic

    return paint

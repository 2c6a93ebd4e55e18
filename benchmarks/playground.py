"""How quickly the explorer's playground answers: an architecture change in the settings panel,
and a weight typed in the element cursor, each to the redrawn screen.

    .venv/bin/python benchmarks/playground.py [SCENARIO ...] [--repeats R] [--size 120x36]

Drives the app with Textual's Pilot in a headless terminal (warm kernel cache: one change of
each kind is made and thrown away first). A sample runs from the key press to the moment the
screen shows the result: for the architecture change (one hidden unit more, then one fewer,
alternately) until the rebuilt network is on show and every picture (decision regions, curve,
hidden-unit maps) has been painted again at its size (a network without hidden layers gets
one and loses it again, alternately); for the weight (W1[0,0] typed, then
Enter) until the truth table's text has changed (when the scenario has one) and the regions
are painted again. Prints median and p90 per scenario in milliseconds; targets: < 300 ms and
< 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

SMALL = (
    "xor", "gates", "perceptron", "circles", "moons", "spiral", "sine", "exercise1", "exercise2",
    "and-by-hand", "perceptron-update",
)  # fmt: skip


async def until(pilot, condition, timeout: float = 10.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the screen did not show the change")
        await asyncio.sleep(0.0005)


def watch_renders() -> None:
    """Stamp each Canvas with the time it last drew a line (the compositor asks for its lines
    when it paints the screen)."""
    from nnviz.tui.draw.canvas import Canvas

    original = Canvas.render_line
    if getattr(original, "stamps", False):
        return

    def render_line(self, y):
        strip = original(self, y)
        self.drawn_at = time.perf_counter()
        return strip

    render_line.stamps = True
    Canvas.render_line = render_line


def painted(screen, since: float) -> bool:
    """Every picture on show has been drawn on the screen since `since` (those a panel hides,
    or scrolled away, are not drawn until they show)."""
    from nnviz.tui.draw.canvas import Canvas

    visible = screen._compositor.visible_widgets
    return all(getattr(c, "drawn_at", 0.0) > since for c in screen.query(Canvas) if c in visible)


def table_text(screen) -> str:
    from nnviz.tui.widgets.panels import TextPanel

    found = screen.query("#table")
    return found.first(TextPanel).plain if found else ""


async def measure(name: str, repeats: int, size: tuple[int, int]) -> dict:
    from textual import events

    from nnviz.tui import make_app

    watch_renders()
    app = make_app(name, animate=False)
    arch: list[float] = []
    weight: list[float] = []
    async with app.run_test(size=size) as pilot:
        await asyncio.wait_for(app.ready.wait(), 120)
        await pilot.pause()
        screen = app.screen
        # ---- architecture: the first hidden layer's units, up and down
        await pilot.press("S")
        await pilot.pause()
        from nnviz.tui.screens.settings import SettingsPanel

        settings = screen.query_one(SettingsPanel)
        for n in range(repeats + 1):
            # one hidden unit more, then one fewer; a network without hidden layers gets one
            # and loses it again
            labels = [f.label for f in settings.fields()]
            if "hidden 1: units" in labels:
                settings.row, key = labels.index("hidden 1: units"), ("right", "left")[n % 2]
            else:
                label = ("add a hidden layer", "remove the last hidden layer")[n % 2]
                settings.row, key = labels.index(label), "enter"
            old, frames = screen.ctl, screen.frames
            t0 = time.perf_counter()
            app.post_message(events.Key(key, "\r" if key == "enter" else None))

            def rebuilt(old=old, frames=frames, t0=t0) -> bool:
                refused = any(p.error for p in screen.query(SettingsPanel))
                return refused or (screen.ctl is not old and screen.frames > frames and
                                   painted(screen, t0))  # fmt: skip

            await until(pilot, rebuilt)
            if any(p.error for p in screen.query(SettingsPanel)):
                break  # this network takes no such change (the perceptron rule's one layer)
            if n:  # the first one warms up
                arch.append(time.perf_counter() - t0)
            await pilot.pause()
            settings = screen.query_one(SettingsPanel)  # a recomposed screen has a new one
        await pilot.press("escape")
        await pilot.pause()
        # ---- one weight typed in the element cursor
        await pilot.press("E")
        await pilot.pause()
        for n in range(repeats + 1):
            value = f"{0.5 + 0.25 * (n % 7) - 1.0:.2f}"
            await pilot.press("enter", *value)
            before, frames = table_text(screen), screen.frames
            t0 = time.perf_counter()
            app.post_message(events.Key("enter", "\r"))
            has_table = bool(before)

            def shown(before=before, value=value, has_table=has_table, frames=frames, t0=t0):
                p = screen.ctl.program.value("W1")[0, 0]
                if abs(float(p) - float(value)) > 1e-6 or screen.frames == frames:
                    return False
                if not painted(screen, t0):
                    return False
                return not has_table or table_text(screen) != before

            await until(pilot, shown)
            if n:
                weight.append(time.perf_counter() - t0)
            await pilot.pause()
    return {"scenario": name, "arch": arch, "weight": weight}


def stats(samples: list[float]) -> str:
    if not samples:
        return "      -         -"
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return f"{statistics.median(ms):7.1f}   {p90:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=list(SMALL))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--size", default="120x36")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    print(f"terminal {width}×{height}, {args.repeats} samples each, milliseconds")
    print(f"{'scenario':<12} {'arch median':>11} {'p90':>7}   {'weight median':>13} {'p90':>7}")
    everything_arch, everything_weight = [], []
    for name in args.scenarios:
        result = asyncio.run(measure(name, args.repeats, (width, height)))
        everything_arch += result["arch"]
        everything_weight += result["weight"]
        a, w = stats(result["arch"]), stats(result["weight"])
        print(f"{name:<12} {a:>19}   {w:>21}")
    print(f"{'all':<12} {stats(everything_arch):>19}   {stats(everything_weight):>21}")
    print("targets: architecture change < 300 ms, typed weight < 100 ms")


if __name__ == "__main__":
    main()

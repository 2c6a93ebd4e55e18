"""A screenshot of the experiments screen (its numbers carry no times): the gradient health of
the vanishing network at 80×24 in ASCII, compared with the accepted one in __snapshots__/."""

from __future__ import annotations

from tui_helpers import until, wait_open

from nnviz.tui import make_app


async def health_done(pilot) -> None:
    await wait_open(pilot)
    screen = pilot.app.screen
    await until(pilot, lambda: screen.results["health"].state == "done", timeout=300)
    await pilot.pause()


def test_vanishing_health_ascii(snap_compare):
    app = make_app("vanishing", ascii=True, animate=False, experiment="health")
    assert snap_compare(app, terminal_size=(80, 24), run_before=health_done)

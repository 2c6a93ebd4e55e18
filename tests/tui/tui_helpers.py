"""Helpers for the explorer's tests: run a coroutine test, open an app and wait for it."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"


def aio(fn):
    """Run an async test function in its own event loop (no async pytest plugin needed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


async def wait_open(pilot, timeout: float = 60.0):
    """Wait until the app has built its session and shows the scenario's screen."""
    app = pilot.app
    await asyncio.wait_for(app.ready.wait(), timeout)
    await pilot.pause()
    await pilot.pause()
    return app.screen


async def wait_idle(pilot, screen, timeout: float = 30.0) -> None:
    """Wait until no training worker runs and its last frame is drawn."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while screen.playing or not screen._idle.is_set():
        if loop.time() > end:
            raise TimeoutError("training did not stop")
        await pilot.pause(0.02)
    await pilot.pause()


async def press_busy(pilot, *keys: str, settle: float = 0.05) -> None:
    """Press keys while a training thread keeps the process busy.

    Pilot.press waits for the process to go idle after each key, which never happens while a
    worker trains (it then waits its full second twice); this posts the key events and gives
    the app a moment to handle them instead.
    """
    from textual import events

    for key in keys:
        char = key if len(key) == 1 else {"plus": "+", "minus": "-"}.get(key)
        pilot.app.post_message(events.Key(key, char))
        await pilot.pause(settle)


async def until(pilot, condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise TimeoutError("the condition did not come true")
        await pilot.pause(0.01)

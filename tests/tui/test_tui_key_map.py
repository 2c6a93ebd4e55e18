"""The one key map: both screens bind from it, a key means one thing, help lists the map."""

from __future__ import annotations

from textual.binding import Binding
from tui_helpers import aio, wait_open

from nnviz.tui import keys
from nnviz.tui.mnist import MnistView
from nnviz.tui.screens.explorer import ExplorerScreen


def _keys_to_actions(bindings) -> dict[str, str]:
    return {b.key: b.action for b in Binding.make_bindings(bindings)}


def test_a_key_is_in_one_entry_only():
    seen: dict[str, str] = {}
    for entry in keys.KEYS:
        for key in entry.keys.split(","):
            assert key not in seen or seen[key] == entry.action, (key, seen.get(key))
            seen[key] = entry.action


def test_both_screens_bind_only_the_map_and_agree_on_every_shared_key():
    mapped = {(k, e.action) for e in keys.KEYS for k in e.keys.split(",")}
    explorer = _keys_to_actions(ExplorerScreen.BINDINGS)
    mnist = _keys_to_actions(MnistView.BINDINGS)
    for screen in (explorer, mnist):
        assert set(screen.items()) <= mapped
    shared = set(explorer) & set(mnist)
    assert {"n", "p", "space", "s", "e", "f", "a", "right_square_bracket"} <= shared
    for key in shared:
        assert explorer[key] == mnist[key], key
    assert explorer["n"] == mnist["n"] == "micro"
    assert explorer["p"] == explorer["space"] == mnist["p"] == mnist["space"] == "play"


@aio
async def test_help_on_the_explorer_lists_its_keys_from_the_map():
    from nnviz.tui import make_app

    app = make_app("xor", animate=False)
    async with app.run_test(size=(100, 36)) as pilot:
        await wait_open(pilot)
        await pilot.press("question_mark")
        text = str(app.screen.query_one("#help-text").render())
        for action in keys.EXPLORER:
            for entry in keys.entries(action):
                assert entry.description in text, entry
        assert "Next mistake" not in text


@aio
async def test_page_keys_reach_what_80x24_cuts_off():
    from nnviz.tui import make_app

    app = make_app("xor", animate=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_open(pilot)
        await pilot.press(*["n"] * 10)  # the chain rule of z2 is longer than the inspector
        box = screen.query_one("#inspector-box")
        right = screen.query_one("#right")
        assert box.max_scroll_y > 0 and right.max_scroll_y > 0
        await pilot.press("tab")  # the inspector takes the keys
        assert screen.focused is box
        await pilot.press("pagedown")
        await pilot.pause()
        assert box.scroll_y > 0
        await pilot.press("pageup", "greater_than_sign")
        await pilot.pause()
        assert box.scroll_y == 0 and right.scroll_y > 0


@aio
async def test_help_over_a_playground_panel_lists_the_panels_own_keys_first():
    from nnviz.tui import make_app

    app = make_app("xor", animate=False)
    async with app.run_test(size=(100, 36)) as pilot:
        await wait_open(pilot)
        for opener, table, typed, heading in (
            ("S", keys.SETTINGS_PANEL, keys.SETTINGS_TYPED, "the settings panel"),
            ("E", keys.CURSOR_PANEL, keys.CURSOR_TYPED, "the element cursor"),
        ):
            await pilot.press(opener)
            await pilot.pause()
            await pilot.press("question_mark")
            text = str(app.screen.query_one("#help-text").render())
            assert heading in text
            for entry in table:
                assert f"{entry.description}: {entry.tooltip}" in text, entry
            for shown, what in typed:
                assert f"{shown}  " in text and what in text
            # the panel's rows come before the explorer's, which are still listed
            assert text.index(heading) < text.index("Micro-step")
            await pilot.press("escape")  # help
            await pilot.pause()
            await pilot.press("escape")  # the panel
            await pilot.pause()
        await pilot.press("question_mark")
        assert "the settings panel" not in str(app.screen.query_one("#help-text").render())

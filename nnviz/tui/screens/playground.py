"""The explorer's playground keys: S the settings panel, E the element cursor, W write the setup
as a scenario file. The edits themselves live in nnviz.playground (headless); this mixin opens
the panels and puts a rebuilt Controller on show.
"""

from __future__ import annotations

from nnviz import playground
from nnviz.errors import InputError
from nnviz.explorer import Controller


class PlaygroundMixin:
    """For ExplorerScreen: `install(ctl)` shows a rebuilt Controller (recomposing the screen
    when its pictures change), the three keys open the panels."""

    def layout_key(self) -> tuple:
        """What the screen's widgets depend on: a change recomposes it. One unit more or
        fewer is not one: the unit maps are pages of one canvas, painted anew."""
        return (self.ctl.is_graph, self.dims, tuple(self.panels()))

    async def install(self, ctl: Controller, note: str = "") -> None:
        """Show this Controller from its start (training stopped first)."""
        await self._own_engine()
        before = self.layout_key()
        self.ctl = ctl
        self.check_report = None
        self.sample = 0
        self.verdict = ""
        self._painted = None
        self.selected = _first_param_of(ctl)
        if self.layout_key() != before:
            panels = [(type(p), p.keep(), p.has_focus) for p in self.open_panels()]
            await self.recompose()  # the panels go too: they come back as they were
            self.fit(self.app.size.width, self.app.size.height)
            for cls, kept, focused in panels:
                panel = cls(self, **kept)
                await self.mount(panel)
                if focused:
                    panel.focus()
        self._refresh(note)
        self.installed()
        for panel in self.open_panels():
            panel.draw()

    def open_panels(self) -> list:
        from nnviz.tui.screens.cursor import CursorPanel
        from nnviz.tui.screens.settings import SettingsPanel

        return [*self.query(SettingsPanel), *self.query(CursorPanel)]

    async def open_panel(self, panel) -> None:
        """Show a panel (one at a time) and give it the keys."""
        for other in self.open_panels():
            await other.remove()
        self.styles.layers = ("default", "playground")  # panels over the explorer, not beside
        await self.mount(panel)
        panel.focus()

    def close_panel(self, panel) -> None:
        panel.remove()
        self.set_focus(None)
        self.show(self.snap)

    def playground(self) -> playground.Playground | None:
        if self.ctl.is_graph:
            self.notify("an expression graph has no network to change")
            return None
        return playground.Playground.of(self.ctl)

    async def action_settings(self) -> None:
        from nnviz.tui.screens.settings import SettingsPanel

        if self.playground() is None:
            return
        await self._own_engine()
        await self.open_panel(SettingsPanel(self))

    async def action_cursor(self) -> None:
        from nnviz.tui.screens.cursor import CursorPanel

        if self.playground() is None:
            return
        await self._own_engine()
        names = self.ctl.wrt_names()
        name = self.ctl.node_name(self.selected)
        if name not in names:
            name = names[0]
            self.selected = self.ctl.graph.find(name)
        self.follow = False
        await self.open_panel(CursorPanel(self, name))

    async def action_write(self) -> None:
        from nnviz.tui.screens.save import SaveScreen

        if self.playground() is None:
            return
        await self._own_engine()
        self.app.push_screen(SaveScreen(self))

    async def apply_edit(self, edit, note: str) -> str | None:
        """Run an edit that returns a new Controller; its one-line message if refused."""
        await self._own_engine()  # an edit may change the running session (freezing)
        try:
            ctl = edit()
        except InputError as exc:
            return " ".join(str(exc).split())
        if ctl is self.ctl:  # changed in place: the same run goes on
            self._painted = None
            self._refresh(note)
            for panel in self.open_panels():
                panel.draw()
            return None
        await self.install(ctl, note)
        return None


def _first_param_of(ctl: Controller) -> int:
    names = ctl.wrt_names()
    return ctl.graph.find(names[0]) if names else 0

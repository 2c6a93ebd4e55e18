"""The command palette's scenario list: every shipped scenario, to switch to."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from nnviz.scenario import list_scenarios


class ScenarioCommands(Provider):
    async def startup(self) -> None:
        try:
            self.items = await asyncio.to_thread(list_scenarios)
        except OSError:
            self.items = []

    async def discover(self) -> Hits:
        for name, description in self.items:
            yield DiscoveryHit(
                f"scenario: {name}",
                partial(self.app.open_scenario, name),
                help=description,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, description in self.items:
            text = f"scenario: {name}"
            score = max(matcher.match(text), matcher.match(f"{name} {description}") * 0.9)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(self.app.open_scenario, name),
                    help=description,
                )

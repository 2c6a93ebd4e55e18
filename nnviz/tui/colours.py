"""Whether the terminal shows enough colours for the pictures to tell the classes apart.

Textual draws in monochrome under NO_COLOR and in 16 colours on a terminal that reports no
more (TERM=xterm, linux, screen; TEXTUAL_COLOR_SYSTEM=standard); the decision regions' shades
then run together, so `nnviz run` switches to ASCII mode (one character per class) by itself.
The colour system is found the way Textual finds it, with Rich's detection.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from rich.console import Console

ENOUGH = ("256", "truecolor")


def too_few_colours(environ: Mapping[str, str]) -> bool:
    if "NO_COLOR" in environ:  # Textual's test: present, whatever the value
        return True
    if environ.get("TERM", "").strip().lower() in ("dumb", "unknown"):
        return True
    console = Console(
        color_system=environ.get("TEXTUAL_COLOR_SYSTEM", "auto"),
        file=io.StringIO(),
        force_terminal=True,
        _environ=dict(environ),
    )
    return console.color_system not in ENOUGH

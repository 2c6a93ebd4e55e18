"""The one sanitiser for text printed to a terminal.

Names, descriptions and messages may hold text from files (a scenario's name, a CSV cell, a
key). Control characters in them would be interpreted by the terminal: ESC starts escape
sequences that retitle or clear it, and a carriage return overwrites what came before. Every
printer passes such text through `printable` first; each control character becomes a visible
escape (``\\x1b``, ``\\u202e``). Standard library only.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the format characters that reorder or hide text (bidi
# overrides and isolates, zero-width characters), which also mislead a reader.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def _escape(match: re.Match) -> str:
    ch = match.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, one_line: bool = False) -> str:
    """str(text) with every control character shown as an escape; tabs and line breaks kept
    (or, with one_line, line breaks folded into single spaces)."""
    s = str(text)
    if one_line:
        s = _BREAKS.sub(" ", s).strip()
    s = _UNSAFE.sub(_escape, s)
    if not one_line:
        return s
    return s.replace("\t", " ")

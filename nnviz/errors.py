"""nnviz's one error hierarchy. Front ends catch these by type: an ``InputError`` is the user's
input being wrong (a scenario file, a data file, a weights file, a graph), shown as one line;
anything else escaping the core is a bug and keeps its traceback.

This module imports nothing, so every layer (the engine included) can raise these."""

from __future__ import annotations


class NnvizError(Exception):
    """Base of every error nnviz raises on purpose."""


class InputError(NnvizError, ValueError):
    """Something the user gave (a file, a value, an argument) cannot be used; the message is
    one line naming what and where."""


class WeightsError(InputError):
    """A weights file that cannot be used (read, written or fitted to the model); the message
    names the file."""


class RecordError(InputError):
    """A run record (nnviz train --record) that cannot be written, read or replayed; the
    message names the file and what is wrong with it."""

"""``--json`` output: one JSON object per line, each with ``event`` and ``schema`` keys (the
format is nnviz/schema/events.schema.json)."""

from __future__ import annotations

import json
import math

import click

from nnviz.schema import SCHEMA_VERSION


def emit(event: str, fields: dict) -> None:
    """Write one event line on stdout."""
    record = {"event": event, "schema": SCHEMA_VERSION, **fields}
    click.echo(json.dumps(_finite(record), allow_nan=False))


def _finite(value):
    """NaN and infinity are not JSON: they are written as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value

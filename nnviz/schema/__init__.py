"""The JSON lines nnviz writes with ``--json``, written down in ``events.schema.json``.

Every line is one JSON object with an ``event`` key naming what it is and a ``schema`` key
holding SCHEMA_VERSION. Within a version, keys may be added (the schema file lists them all);
a key removed, renamed or changed in meaning raises the version."""

from __future__ import annotations

from pathlib import Path

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().with_name("events.schema.json")

"""Check JSON lines against events.schema.json without a JSON Schema library.

    python -m nnviz.schema.check < lines.jsonl      # exit 1 and one line per problem

It understands the part of JSON Schema (2020-12) that events.schema.json uses — type, const,
enum, minimum, properties, required, additionalProperties, items, oneOf, anyOf and local
$ref — and refuses a schema with any other keyword rather than skip it unchecked.
"""

from __future__ import annotations

import json
import sys

from nnviz.schema import SCHEMA_PATH

_ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "examples"}
_CHECKED = {"type", "const", "enum", "minimum", "properties", "required",
            "additionalProperties", "items", "oneOf", "anyOf", "$ref"}  # fmt: skip
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


def load_schema() -> dict:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def errors(instance, schema: dict, root: dict | None = None, where: str = "$") -> list[str]:
    """Every way `instance` breaks `schema`, each as 'path: problem'; [] when it conforms."""
    root = schema if root is None else root
    unknown = set(schema) - _ANNOTATIONS - _CHECKED
    if unknown:
        raise ValueError(f"schema keyword(s) {sorted(unknown)} at {where} are not understood")
    out: list[str] = []
    if "$ref" in schema:
        out += errors(instance, _resolve(root, schema["$ref"]), root, where)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](instance) for t in types):
            return out + [f"{where}: {_show(instance)} is not of type {' or '.join(types)}"]
    if "const" in schema and not _same(instance, schema["const"]):
        out.append(f"{where}: {_show(instance)} is not {_show(schema['const'])}")
    if "enum" in schema and not any(_same(instance, v) for v in schema["enum"]):
        out.append(f"{where}: {_show(instance)} is not one of {_show(schema['enum'])}")
    if "minimum" in schema and _TYPES["number"](instance) and instance < schema["minimum"]:
        out.append(f"{where}: {instance} is below the minimum {schema['minimum']}")
    if isinstance(instance, dict):
        out += _object_errors(instance, schema, root, where)
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            out += errors(item, schema["items"], root, f"{where}[{i}]")
    if "anyOf" in schema and not any(not errors(instance, s, root, where) for s in schema["anyOf"]):
        out.append(f"{where}: matches none of anyOf")
    if "oneOf" in schema:
        out += _one_of(instance, schema["oneOf"], root, where)
    return out


def _object_errors(instance: dict, schema: dict, root: dict, where: str) -> list[str]:
    out = [
        f"{where}: {key!r} is missing" for key in schema.get("required", ()) if key not in instance
    ]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, value in instance.items():
        if key in properties:
            out += errors(value, properties[key], root, f"{where}.{key}")
        elif extra is False:
            out.append(f"{where}: {key!r} is not in the schema")
        elif isinstance(extra, dict):
            out += errors(value, extra, root, f"{where}.{key}")
    return out


def _one_of(instance, options: list, root: dict, where: str) -> list[str]:
    results = [errors(instance, s, root, where) for s in options]
    matched = sum(1 for r in results if not r)
    if matched == 1:
        return []
    if matched > 1:
        return [f"{where}: matches {matched} of oneOf, not exactly one"]
    # name the option meant: the one whose event the instance has, when there is one
    for option, result in zip(options, results, strict=True):
        target = _resolve(root, option["$ref"]) if "$ref" in option else option
        event = target.get("properties", {}).get("event", {}).get("const")
        if isinstance(instance, dict) and event is not None and instance.get("event") == event:
            return result
    return [f"{where}: matches none of oneOf (event {_show(_get(instance, 'event'))})"]


def _resolve(root: dict, ref: str) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are understood, not {ref!r}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b or (_TYPES["number"](a) and _TYPES["number"](b) and a == b)


def _get(instance, key):
    return instance.get(key) if isinstance(instance, dict) else None


def _show(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_lines(text: str, schema: dict | None = None) -> list[str]:
    """Problems of every line of `text` (JSON lines), each prefixed 'line N'."""
    schema = load_schema() if schema is None else schema
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            out.append(f"line {n}: empty")
            continue
        try:
            instance = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append(f"line {n}: not JSON ({exc.msg})")
            continue
        out += [f"line {n}: {problem}" for problem in errors(instance, schema)]
    return out


if __name__ == "__main__":
    problems = check_lines(sys.stdin.read())
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)

"""Checking a data kind's params with the field specs of nnviz.fields: known keys, right types,
values in range. A fault in one param is a DataError carrying that param as its key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnviz.data.errors import DataError, param_error
from nnviz.fields import REQUIRED, Field, FieldError, defaults

__all__ = ["Param", "check_param", "defaults", "validate"]


def Param(type: type, default: Any = REQUIRED, **rules: Any) -> Field:  # noqa: N802 (a record)
    """A data kind's param: a Field that tells the whole valid range when a value is out of it."""
    return Field(type, default, whole_range=True, **rules)


def check_param(kind: str, name: str, field: Field, value: Any) -> Any:
    """One param's value, normalised, or the DataError naming the kind and the param."""
    try:
        return field.check(value)
    except FieldError as exc:
        raise param_error(kind, name, exc.detail) from None


def validate(kind: str, spec: Mapping[str, Field], params: Mapping[str, Any] | None) -> dict:
    """All of a kind's params: given ones checked, missing ones defaulted."""
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise DataError(f"{kind}: params must be a table of key = value, got {params!r}")
    for name in params:
        if name not in spec:
            allowed = ", ".join(spec) or "none"
            raise DataError(
                f"{kind}: unknown param {name!r} (allowed: {allowed})",
                key=name,
                detail=f"unknown key (allowed: {allowed})",
            )
    out = {}
    for name, field in spec.items():
        if name in params:
            out[name] = check_param(kind, name, field, params[name])
        elif field.required:
            raise param_error(kind, name, f"is required ({field.describe()})")
        else:
            out[name] = field.default
    return out

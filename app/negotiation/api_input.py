"""Strict JSON input for the campaigns, contests and negotiation API (422 with field errors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.db import MAX_ID
from app.errors import ValidationFailed
from app.forms import storable

MAX_INT = 2**31 - 1


def _ok(kind: str, value: Any) -> tuple[bool, Any]:
    if kind == "int":
        good = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT
        return good, value
    if kind == "id":
        good = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
        return good, value
    if kind == "str":
        return isinstance(value, str) and storable(value), value
    if kind == "str_list":
        good = isinstance(value, list) and 0 < len(value) <= 50
        return good and all(isinstance(v, str) and storable(v) for v in value), value
    if kind == "id_list":
        good = isinstance(value, list) and 0 < len(value) <= 200
        return good and all(_ok("id", v)[0] for v in value), value
    if kind == "datetime":
        if not isinstance(value, str) or not storable(value):
            return False, value
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False, value
        return parsed.tzinfo is not None, parsed
    raise AssertionError(kind)


MESSAGES = {
    "int": "Must be an integer.",
    "id": "Must be a positive integer id.",
    "str": "Must be a string.",
    "str_list": "Must be a non-empty list of strings.",
    "id_list": "Must be a non-empty list of ids.",
    "datetime": "Must be an ISO 8601 date-time with a timezone.",
}


def fields(body: dict[str, Any], spec: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    """``spec``: name -> (kind, required). Unknown, missing or mistyped fields -> 422."""
    errors: dict[str, list[str]] = {key: ["Unknown field."] for key in body if key not in spec}
    values: dict[str, Any] = {}
    for name, (kind, required) in spec.items():
        if name not in body:
            if required:
                errors[name] = ["This field is required."]
            continue
        good, value = _ok(kind, body[name])
        if good:
            values[name] = value
        else:
            errors[name] = [MESSAGES[kind]]
    if errors:
        raise ValidationFailed(errors)
    return values

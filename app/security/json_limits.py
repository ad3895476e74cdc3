"""JSON bodies bounded in size and nesting depth *before* they are parsed.

Python's json module recurses once per nested array/object: a body of 100,000 ``[`` raises
RecursionError (not ValueError), which every ``get_json(silent=True)`` and Stripe's
``construct_event`` let through as a 500. ``check_json_text`` scans the raw text once (strings
skipped) and refuses a body deeper than MAX_JSON_DEPTH or longer than MAX_JSON_BYTES; the
app's JSON provider runs it on every ``request.get_json()``, and the webhook runs it on the raw
payload before Stripe's SDK parses it.
"""

from __future__ import annotations

import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

from app.errors import DomainError

MAX_JSON_BYTES = 256 * 1024  # no API body or Stripe event comes near this
MAX_JSON_DEPTH = 32  # our deepest documents nest 4 levels; Stripe's events about 8
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class JsonTooLarge(DomainError):
    status = 413
    code = "body_too_large"


class JsonTooDeep(DomainError):
    status = 400
    code = "body_too_deep"


def check_json_text(data: bytes | str) -> None:
    """Raise JsonTooLarge or JsonTooDeep; linear in the size and never recursive."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_JSON_BYTES:
        raise JsonTooLarge(f"JSON bodies are limited to {MAX_JSON_BYTES // 1024} KiB.")
    depth = 0
    for match in _BRACKETS.finditer(_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise JsonTooDeep(f"JSON bodies may nest at most {MAX_JSON_DEPTH} levels.")
        else:
            depth -= 1


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with ``check_json_text`` in front of every ``loads``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        check_json_text(s)
        return super().loads(s, **kwargs)

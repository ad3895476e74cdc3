"""Reading Stripe-style request parameters (form-encoded, bracket notation) and headers."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from localstripe.server import get_post_data, unflatten_data

from .errors import StripeApiError, invalid_param, unknown_params
from .responses import json_response

_CURRENCY_RE = re.compile(r"^[a-z]{3}$")


async def body_params(request: web.Request) -> dict[str, Any]:
    """POST parameters, decoded like localstripe does (aiohttp caches the body, so re-reading
    it in several middlewares is cheap and returns the same data)."""
    data = await get_post_data(request)
    return dict(data or {})


def query_params(request: web.Request) -> dict[str, Any]:
    return dict(unflatten_data(request.query) or {})


def stripe_account(request: web.Request) -> str | None:
    value = request.headers.get("Stripe-Account")
    return value or None


def as_int(params: dict[str, Any], name: str, *, positive: bool = False) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise invalid_param(name, f"Invalid integer: {value}", "parameter_invalid_integer") from exc
    if positive and number <= 0:
        raise invalid_param(
            name, "This value must be greater than or equal to 1.", "parameter_invalid_integer"
        )
    return number


def as_str(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_param(name, f"Invalid string: {value!r}")
    return value


def as_currency(params: dict[str, Any], name: str = "currency") -> str | None:
    value = as_str(params, name)
    if value is None:
        return None
    value = value.lower()
    if not _CURRENCY_RE.match(value):
        raise invalid_param(name, f"Invalid currency: {value}", "parameter_invalid_string_empty")
    return value


def as_bool(params: dict[str, Any], name: str) -> bool | None:
    value = params.get(name)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid_param(name, f"Invalid boolean: {value}")


def as_dict(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value is None:
        return None
    if value == "":
        # Stripe clears a hash when it is posted as an empty string.
        return {}
    if not isinstance(value, dict):
        raise invalid_param(name, f"Invalid hash: {name}")
    return value


def merge_metadata(current: dict[str, str], update: dict[str, Any] | None) -> dict[str, str]:
    """Stripe semantics: keys are merged, an empty value deletes the key, "" clears all."""
    if update is None:
        return current
    if update == {}:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def list_window(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], bool]:
    """Apply limit/starting_after/ending_before to a newest-first list."""
    limit = as_int(params, "limit") or 10
    if not 1 <= limit <= 100:
        raise invalid_param("limit", "Limit must be between 1 and 100.")
    starting_after = as_str(params, "starting_after")
    ending_before = as_str(params, "ending_before")
    ids = [item.id for item in items]
    if starting_after:
        if starting_after not in ids:
            raise StripeApiError(
                400,
                f"No such object: '{starting_after}'",
                code="resource_missing",
                param="starting_after",
            )
        items = items[ids.index(starting_after) + 1 :]
    elif ending_before:
        if ending_before not in ids:
            raise StripeApiError(
                400,
                f"No such object: '{ending_before}'",
                code="resource_missing",
                param="ending_before",
            )
        items = items[: ids.index(ending_before)][-limit:]
    return items[:limit], len(items) > limit


def list_response(url: str, items: list[Any], params: dict[str, Any]) -> web.Response:
    """Stripe's list object for one window (limit/starting_after/ending_before) of a
    newest-first list of emulator objects."""
    page, has_more = list_window(items, params)
    return json_response(
        {
            "object": "list",
            "url": url,
            "has_more": has_more,
            "data": [item._export() for item in page],
        }
    )


# What every list endpoint takes besides its own filters.
LIST_PARAMS = ("limit", "starting_after", "ending_before", "created")


def filtered_list_response(
    url: str,
    items: list[Any],
    params: dict[str, Any],
    filters: tuple[str, ...],
    *,
    allowed: tuple[str, ...] = (),
) -> web.Response:
    """A list endpoint: keep the items whose attribute equals each filter parameter given
    (a parameter and its attribute share their name), after refusing any parameter other than
    ``filters``, the paging ones and ``allowed``."""
    unknown_params(params, {*filters, *LIST_PARAMS, *allowed})
    for name in filters:
        wanted = as_str(params, name)
        if wanted:
            items = [item for item in items if getattr(item, name) == wanted]
    return list_response(url, items, params)

"""Strict reading of offer JSON for the API: exact types, no unknown fields, all errors at once.

JSON has no integer type of its own, so ``5000.0``, ``"5000"`` and ``true`` are all refused
where an integer (minor units, days, counts) is expected. The offer rules themselves are checked
afterwards by ``app.offers.validation``; this module only turns JSON into its dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from app.errors import ValidationFailed
from app.offers.models import OfferKind
from app.offers.validation import INPUT_TYPES, DeliverableInput, OfferInput, PackageInput

Errors = dict[str, list[str]]
Reader = Callable[[Any, str, Errors], Any]


def _fail(errors: Errors, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _storable(text: str) -> bool:
    # PostgreSQL text and JSONB cannot hold NUL; lone surrogates cannot be encoded at all.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def read_str(value: Any, key: str, errors: Errors) -> Any:
    if not isinstance(value, str):
        _fail(errors, key, "Must be a string.")
    elif not _storable(value):
        _fail(errors, key, "Contains characters that cannot be stored.")
    return value


def read_int(value: Any, key: str, errors: Errors) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(errors, key, "Must be a whole number (an integer; money is in minor units).")
    return value


def read_str_list(value: Any, key: str, errors: Errors) -> Any:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        _fail(errors, key, "Must be a list of strings.")
    elif not all(_storable(item) for item in value):
        _fail(errors, key, "Contains characters that cannot be stored.")
    return value


# name -> (reader, required on create)
Fields = Mapping[str, tuple[Reader, bool]]

PACKAGE_FIELDS: Fields = {
    "tier": (read_str, True),
    "price_minor": (read_int, True),
    "delivery_days": (read_int, True),
    "revisions": (read_int, False),
    "includes": (read_str, False),
}
DELIVERABLE_FIELDS: Fields = {
    "kind": (read_str, True),
    "price_minor": (read_int, True),
    "delivery_days": (read_int, False),
    "description": (read_str, False),
}


def _read_object(data: Any, fields: Fields, prefix: str, errors: Errors, *, partial: bool) -> dict:
    if not isinstance(data, dict):
        _fail(errors, prefix.rstrip(".") or "_", "Must be a JSON object.")
        return {}
    values: dict[str, Any] = {}
    for name in data:
        if name not in fields:
            _fail(errors, f"{prefix}{name}", "Unknown field.")
    for name, (reader, required) in fields.items():
        if name in data:
            values[name] = reader(data[name], f"{prefix}{name}", errors)
        elif required and not partial:
            _fail(errors, f"{prefix}{name}", "This field is required.")
    return values


def _rows(row_type: type, fields: Fields) -> Reader:
    def read(value: Any, key: str, errors: Errors) -> Any:
        if not isinstance(value, list):
            _fail(errors, key, "Must be a list of objects.")
            return []
        before = len(errors)
        rows = [
            _read_object(item, fields, f"{key}.{i}.", errors, partial=False)
            for i, item in enumerate(value)
        ]
        return [] if len(errors) > before else [row_type(**row) for row in rows]

    return read


COMMON_FIELDS: Fields = {
    "title": (read_str, True),
    "description": (read_str, True),
    "category": (read_str, False),
    "tags": (read_str_list, False),
    "currency": (read_str, False),
}
KIND_FIELDS: dict[OfferKind, Fields] = {
    OfferKind.SERVICE: {
        **COMMON_FIELDS,
        "category": (read_str, True),
        "packages": (_rows(PackageInput, PACKAGE_FIELDS), True),
    },
    OfferKind.STOCK_MEDIA: {
        **COMMON_FIELDS,
        "standard_license_minor": (read_int, True),
        "enhanced_license_minor": (read_int, True),
    },
    OfferKind.INFLUENCER: {
        **COMMON_FIELDS,
        "platform": (read_str, True),
        "handle": (read_str, True),
        "audience_size": (read_int, True),
        "engagement_rate_bp": (read_int, True),
        "audience_topics": (read_str_list, False),
        "audience_regions": (read_str_list, False),
        "deliverables": (_rows(DeliverableInput, DELIVERABLE_FIELDS), True),
    },
}


def read_kind(value: Any) -> OfferKind:
    if not isinstance(value, str) or value not in set(OfferKind):
        raise ValidationFailed({"kind": ["Use service, stock_media or influencer."]})
    return OfferKind(value)


def read_new_offer(body: dict[str, Any]) -> OfferInput:
    """Input for POST /offers. Raises ValidationFailed on missing, unknown or mistyped fields."""
    kind = read_kind(body.get("kind"))
    errors: Errors = {}
    fields = {k: v for k, v in body.items() if k != "kind"}
    values = _read_object(fields, KIND_FIELDS[kind], "", errors, partial=False)
    if errors:
        raise ValidationFailed(errors)
    return INPUT_TYPES[kind](**values)


def read_offer_patch(body: dict[str, Any], current: OfferInput) -> OfferInput:
    """``current`` with the fields present in ``body`` replaced (lists are replaced whole)."""
    if "kind" in body and body["kind"] != current.kind.value:
        raise ValidationFailed({"kind": ["The kind of an offer cannot change."]})
    errors: Errors = {}
    fields = {k: v for k, v in body.items() if k != "kind"}
    values = _read_object(fields, KIND_FIELDS[current.kind], "", errors, partial=True)
    if errors:
        raise ValidationFailed(errors)
    return replace(current, **values)

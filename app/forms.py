"""Helpers that put domain errors next to the form fields they belong to."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

from flask import flash
from flask_wtf import FlaskForm
from wtforms import DecimalField as _WtfDecimalField
from wtforms import IntegerField as _WtfIntegerField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.errors import DomainError, ValidationFailed
from app.money import MAX_FRACTION_DIGITS, MAX_INTEGER, NumberError, parse_decimal, parse_int

T = TypeVar("T")

# A re-rendered form after a domain error answers 422, so the unit of work rolls back.
FORM_ERROR_STATUS = 422


def storable(text: str) -> bool:
    """PostgreSQL text and JSON cannot hold NUL; lone surrogates cannot be encoded at all."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def storable_text(form: object, field: Any) -> None:
    """WTForms validator: the typed text can be stored (see ``storable``)."""
    if isinstance(field.data, str) and not storable(field.data):
        raise ValidationError("Contains characters that cannot be stored.")


def text_rules(max_length: int, *, required: str | None = None) -> list[Any]:
    """The validators of a typed text field: ``required`` is the message when it is left
    empty (None: optional), at most ``max_length`` characters, storable."""
    first = DataRequired(message=required) if required else Optional()
    return [first, Length(max=max_length), storable_text]


def text_area(label: str, max_length: int, *, required: str | None = None) -> Any:
    """A typed text area with ``text_rules`` (``required``: the message when left empty)."""
    return TextAreaField(label, validators=text_rules(max_length, required=required))


def texts(form: FlaskForm, *names: str) -> dict[str, str]:
    """The typed text of the named fields ("" when left empty), as keyword arguments for the
    service whose parameters the fields are named after."""
    return {name: form[name].data or "" for name in names}


def input_from(form: FlaskForm, cls: type[T], **computed: Any) -> T:
    """The service input dataclass ``cls`` from a form: each of its fields the form has a
    field of the same name for takes that field's text ("" when empty); ``computed`` gives
    the rest (parsed amounts, dates, ...); any other field keeps its default."""
    values = {
        name: getattr(form, name).data or ""
        for name in (field.name for field in dataclasses.fields(cls))  # type: ignore[arg-type]
        if name not in computed and name in form
    }
    return cls(**values, **computed)


def apply_errors(form: FlaskForm, error: DomainError) -> None:
    """Attach ``error`` to matching form fields; anything else becomes a flash message.

    A form whose fields are named differently from the service's inputs maps them with a
    class attribute ``error_fields = {"prize_minor": "prize"}``.
    """
    errors = (
        error.errors
        if isinstance(error, ValidationFailed)
        else {error.field or "_": [error.message]}
    )
    renames: dict[str, str] = getattr(form, "error_fields", {})
    for field_name, messages in errors.items():
        field = getattr(form, renames.get(field_name, field_name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            for message in messages:
                flash(message, "error")


def split_list(text: str | None, *, sep: str = ",") -> list[str]:
    """Split a comma (or newline) separated form value into trimmed, non-empty items."""
    if not text:
        return []
    parts = text.splitlines() if sep == "\n" else text.split(sep)
    return [part.strip() for part in parts if part.strip()]


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as wtforms choices (plain tuples are deprecated in wtforms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class DecimalField(_WtfDecimalField):
    """wtforms' DecimalField read with ``app.money.parse_decimal``: the typed text is bounded
    (length, digits, no exponent/NaN) before it becomes a Decimal, so no later quantize or
    arithmetic can be made slow or raise. Every form imports its number fields from here."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        places = self.places if isinstance(self.places, int) else MAX_FRACTION_DIGITS
        try:
            self.data = parse_decimal(valuelist[0], places=places)
        except NumberError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc


class IntegerField(_WtfIntegerField):
    """wtforms' IntegerField read with ``app.money.parse_int`` (bounded text, BIGINT range),
    so a 5,000-digit number is a field error instead of a ValueError from ``int()``."""

    data: Any

    def __init__(self, *args: Any, low: int = -MAX_INTEGER, high: int = MAX_INTEGER, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.low, self.high = low, high

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = parse_int(valuelist[0], low=self.low, high=self.high)
        except NumberError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc

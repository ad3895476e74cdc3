"""Helpers that put domain errors next to the form fields they belong to."""

from __future__ import annotations

from collections.abc import Iterable

from flask import flash
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.errors import DomainError, ValidationFailed

# A re-rendered form after a domain error answers 422, so the unit of work rolls back.
FORM_ERROR_STATUS = 422


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

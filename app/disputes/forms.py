"""Forms of the dispute pages; field names equal the services' error keys."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.disputes.services import MAX_TEXT
from app.forms import select_choices, storable_text
from app.money import MoneyError, parse_major

_TEXT = [Length(max=MAX_TEXT), storable_text]


def _amount_check(form: object, field: StringField) -> None:
    if field.data:
        try:
            field.minor = parse_major(field.data)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc


class OpenDisputeForm(FlaskForm):
    reason = TextAreaField(
        "What went wrong?", validators=[DataRequired(message="Give a reason."), *_TEXT]
    )
    evidence = TextAreaField("Evidence (optional)", validators=_TEXT)
    files = MultipleFileField("Files (optional)")


class RespondForm(FlaskForm):
    response = TextAreaField(
        "Your side", validators=[DataRequired(message="Write your response."), *_TEXT]
    )
    files = MultipleFileField("Files (optional)")


class EvidenceForm(FlaskForm):
    body = TextAreaField("Statement", validators=_TEXT)
    files = MultipleFileField("Files (optional)")


class SettlementForm(FlaskForm):
    refund = StringField(
        "Refund to the business",
        validators=[DataRequired(message="Enter an amount."), Length(max=20), _amount_check],
    )


class ResolveForm(FlaskForm):
    outcome = RadioField(
        "Decision",
        choices=select_choices(
            [
                ("release", "Release to the creator"),
                ("refund", "Refund the business"),
                ("split", "Split"),
            ]
        ),
        validators=[DataRequired(message="Choose a decision.")],
    )
    refund = StringField(
        "Business share for a split", validators=[Optional(), Length(max=20), _amount_check]
    )
    note = TextAreaField(
        "Reason (shown to both parties)",
        validators=[DataRequired(message="Say why."), *_TEXT],
    )

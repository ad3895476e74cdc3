"""Forms for the negotiation pages: a price in major units (e.g. 70.00), delivery days, terms.

The services report price problems under ``price_minor``; ``apply`` moves them onto the
``price`` field the user typed into.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, ValidationError

from app.forms import IntegerField, text_rules
from app.money import MoneyError, check_amount, parse_major
from app.negotiation.services import MAX_TERMS, TermsInput


def _price_check(form: object, field: StringField) -> None:
    try:
        check_amount(parse_major(field.data or ""))
    except MoneyError as exc:
        raise ValidationError(str(exc)) from exc


class ActionForm(FlaskForm):
    """Accept or decline: only the CSRF token."""


class TermsForm(FlaskForm):
    price = StringField(
        "Your price",
        validators=[DataRequired(message="Enter a price."), _price_check],
        render_kw={"inputmode": "decimal", "placeholder": "70.00"},
    )
    delivery_days = IntegerField(
        "Delivery (days)",
        validators=[
            DataRequired(message="Enter the number of days."),
            NumberRange(min=1, max=365, message="Use 1 to 365 days."),
        ],
    )
    terms = TextAreaField("Terms (optional)", validators=text_rules(MAX_TERMS))

    def terms_input(self) -> TermsInput:
        return TermsInput(
            price_minor=parse_major(self.price.data or ""),
            delivery_days=int(self.delivery_days.data or 0),
            terms=self.terms.data or "",
        )

    error_fields = {"price_minor": "price"}

"""Forms for the payment pages. Field names equal the services' error keys (``note``,
``message``), so domain errors land next to the right field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from app.errors import ValidationFailed
from app.forms import text_rules
from app.money import MINOR_UNITS_PER_MAJOR, MoneyError, check_amount, parse_major
from app.payments.delivery import MAX_MESSAGE
from app.payments.milestones import MilestonePlan
from app.payments.models import Milestone

SPLIT_ROWS = 5


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (accept, set up payouts)."""


class DeliverForm(FlaskForm):
    message = TextAreaField(
        "Message to the business",
        validators=text_rules(MAX_MESSAGE, required="Describe the delivery."),
    )
    files = MultipleFileField("Files (optional)")


class ChangesForm(FlaskForm):
    note = TextAreaField(
        "What should change?",
        validators=text_rules(2000, required="Say what should change."),
    )


class RefundForm(FlaskForm):
    reason = StringField("Reason (optional)", validators=text_rules(200))


def _amount_check(form: Any, field: Any) -> None:
    if not (field.data or "").strip():
        return
    try:
        check_amount(parse_major(field.data))
    except MoneyError as exc:
        raise ValidationError(str(exc)) from exc


class SplitRow(Form):
    title = StringField("Title", validators=text_rules(120))
    amount = StringField("Amount", validators=[_amount_check], render_kw={"inputmode": "decimal"})
    due_date = DateField("Due", validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.title.data or "").strip() and not (self.amount.data or "").strip()


class SplitForm(FlaskForm):
    """Up to five milestone rows; blank rows are ignored; amounts in major units."""

    rows = FieldList(FormField(SplitRow), min_entries=SPLIT_ROWS, max_entries=SPLIT_ROWS)

    def fill(self, milestones: list[Milestone]) -> None:
        for entry, milestone in zip(self.rows.entries, milestones, strict=False):
            entry.form.title.data = milestone.title
            amount = Decimal(milestone.amount_minor) / MINOR_UNITS_PER_MAJOR
            entry.form.amount.data = f"{amount:.2f}"
            entry.form.due_date.data = milestone.due_date

    def filled(self) -> list[SplitRow]:
        return [entry.form for entry in self.rows.entries if not entry.form.is_blank()]

    def plans(self) -> list[MilestonePlan]:
        """The filled rows as plans; raises ValidationFailed for a row without an amount."""
        plans = []
        for index, row in enumerate(self.filled()):
            raw = (row.amount.data or "").strip()
            if not raw:
                raise ValidationFailed({f"milestones.{index}.amount": ["Enter an amount."]})
            plans.append(MilestonePlan(row.title.data or "", parse_major(raw), row.due_date.data))
        return plans

    def apply(self, error: ValidationFailed) -> list[str]:
        """Put ``milestones.<i>.<field>`` errors on the i-th filled row; return the rest."""
        rows, rest = self.filled(), []
        for key, messages in error.errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                field = rows[int(parts[1])][parts[2]]
                field.errors = [*field.errors, *messages]
            else:
                rest.extend(messages)
        return rest

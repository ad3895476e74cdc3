"""Forms for the contest pages. The services report ``prize_minor``; ``apply`` moves that
onto the ``prize`` field the user typed (in major units)."""

from __future__ import annotations

from datetime import UTC

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from app.contests.services import JUDGING_DAYS, MAX_TEXT, MAX_TITLE, ContestInput
from app.forms import IntegerField, select_choices, storable_text, text_rules
from app.money import SUPPORTED_CURRENCIES, MoneyError, check_amount, parse_major
from app.offers.models import CATEGORIES


def _price_check(form: object, field: StringField) -> None:
    try:
        currency = getattr(getattr(form, "currency", None), "data", None)
        check_amount(parse_major(field.data or ""), currency or None)
    except MoneyError as exc:
        raise ValidationError(str(exc)) from exc


class ContestForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE), storable_text])
    description = TextAreaField(
        "Brief", validators=[DataRequired(), Length(max=MAX_TEXT), storable_text]
    )
    category = SelectField("Category", choices=select_choices((c, c) for c in CATEGORIES))
    prize = StringField(
        "Prize",
        validators=[DataRequired(message="Enter the prize."), _price_check],
        render_kw={"inputmode": "decimal", "placeholder": "300.00"},
    )
    currency = SelectField("Currency", choices=select_choices((c, c) for c in SUPPORTED_CURRENCIES))
    deadline = DateTimeLocalField(
        "Deadline (UTC)", validators=[DataRequired(message="Set a deadline.")]
    )
    judging_days = IntegerField(
        "Judging days",
        default=7,
        validators=[DataRequired(), NumberRange(*JUDGING_DAYS, message="1 to 14 days.")],
    )

    def contest_input(self) -> ContestInput:
        assert self.deadline.data is not None
        return ContestInput(
            title=self.title.data or "",
            description=self.description.data or "",
            category=self.category.data or "",
            prize_minor=parse_major(self.prize.data or ""),
            currency=self.currency.data or "",
            deadline=self.deadline.data.replace(tzinfo=UTC),
            judging_days=int(self.judging_days.data or 0),
        )

    error_fields = {"prize_minor": "prize"}


class EntryForm(FlaskForm):
    text = TextAreaField(
        "Your entry",
        validators=text_rules(MAX_TEXT, required="Describe your entry."),
    )
    file = FileField("File (optional)")


class FinalistsForm(FlaskForm):
    entry_ids = SelectMultipleField(
        "Finalists",
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(message="Pick at least one entry.")],
    )


class WinnerForm(FlaskForm):
    entry_id = SelectField("Winner", coerce=int)

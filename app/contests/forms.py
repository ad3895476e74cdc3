"""Forms for the contest pages. The services report ``prize_minor``; ``apply`` moves that
onto the ``prize`` field the user typed (in major units)."""

from __future__ import annotations

from collections.abc import Iterable
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

from app.contests.models import Contest, ContestEntry
from app.contests.services import JUDGING_DAYS, MAX_TEXT, MAX_TITLE, ContestInput
from app.forms import IntegerField, input_from, select_choices, storable_text, text_area
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
        return input_from(
            self,
            ContestInput,
            prize_minor=parse_major(self.prize.data or ""),
            deadline=self.deadline.data.replace(tzinfo=UTC),
            judging_days=int(self.judging_days.data or 0),
        )

    error_fields = {"prize_minor": "prize"}


class EntryForm(FlaskForm):
    text = text_area("Your entry", MAX_TEXT, required="Describe your entry.")
    file = FileField("File (optional)")


class FinalistsForm(FlaskForm):
    entry_ids = SelectMultipleField(
        "Finalists",
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(message="Pick at least one entry.")],
    )

    def offer(self, contest: Contest) -> FinalistsForm:
        """Any entry can become a finalist."""
        self.entry_ids.choices = _choices(contest.entries)
        return self

    def picked(self) -> list[int]:
        return list(self.entry_ids.data or [])


class WinnerForm(FlaskForm):
    entry_id = SelectField("Winner", coerce=int)

    def offer(self, contest: Contest) -> WinnerForm:
        """The winner is one of the finalists."""
        self.entry_id.choices = _choices(e for e in contest.entries if e.is_finalist)
        return self

    def picked(self) -> int | None:
        return self.entry_id.data


def _choices(entries: Iterable[ContestEntry]) -> list[tuple[str, str]]:
    return select_choices((str(e.id), f"#{e.id}") for e in entries)

"""Forms for briefs and proposals. Field names equal the service's error keys, so domain errors
land next to the right field (``app.forms.apply_errors``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.briefs.models import Visibility
from app.briefs.services import COVER_LETTER_LENGTH, DELIVERY_DAYS, DESCRIPTION_LENGTH, TITLE_LENGTH
from app.forms import DecimalField, IntegerField, select_choices
from app.money import MINOR_UNITS_PER_MAJOR, SUPPORTED_CURRENCIES, MoneyError, parse_major
from app.offers.models import CATEGORIES, OfferKind

KIND_LABELS: dict[str, str] = {
    OfferKind.SERVICE.value: "Freelance service",
    OfferKind.STOCK_MEDIA.value: "Stock media",
    OfferKind.INFLUENCER.value: "Sponsored post",
}


CATEGORY_CHOICES = [(c, c) for c in CATEGORIES]
CURRENCY_CHOICES = [(c, c) for c in SUPPORTED_CURRENCIES]


class MajorAmountField(StringField):
    """An amount typed in major units ("25.50"); ``data`` is integer minor units (2550)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            try:
                self.data = parse_major(valuelist[0])
            except MoneyError as exc:
                raise ValueError(str(exc)) from exc

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return f"{Decimal(self.data) / MINOR_UNITS_PER_MAJOR:.2f}"


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BriefForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(*TITLE_LENGTH)])
    description = TextAreaField(
        "What do you need?", validators=[DataRequired(), Length(*DESCRIPTION_LENGTH)]
    )
    category = SelectField("Category", choices=select_choices(CATEGORY_CHOICES))
    skills = StringField("Skills wanted (comma separated)", validators=[Length(max=2000)])
    offer_kinds = CheckboxListField(
        "What kind of work?", choices=select_choices(KIND_LABELS.items()), validate_choice=False
    )
    budget_min_minor = MajorAmountField("Budget from", validators=[InputRequired()])
    budget_max_minor = MajorAmountField("Budget up to", validators=[InputRequired()])
    currency = SelectField("Currency", choices=select_choices(CURRENCY_CHOICES))
    deadline = DateField("Deadline (optional)", validators=[Optional()])
    visibility = RadioField(
        "Who can see it?",
        choices=select_choices(
            [
                (Visibility.PUBLIC.value, "Public: on the open briefs board"),
                (Visibility.INVITE_ONLY.value, "Invite only: creators you invite"),
            ]
        ),
        default=Visibility.PUBLIC.value,
    )
    # Influencer briefs only; all optional.
    audience_regions = StringField(
        "Audience countries (comma separated, e.g. Germany, France)",
        validators=[Optional(), Length(max=1000)],
    )
    audience_min_followers = IntegerField(
        "Followers from", validators=[Optional(), NumberRange(0, 10**10)]
    )
    audience_max_followers = IntegerField(
        "Followers up to", validators=[Optional(), NumberRange(0, 10**10)]
    )
    audience_min_engagement = DecimalField(
        "Minimum engagement rate (%)", places=2, validators=[Optional(), NumberRange(0, 100)]
    )


class ProposalForm(FlaskForm):
    cover_letter = TextAreaField(
        "Cover letter", validators=[DataRequired(), Length(*COVER_LETTER_LENGTH)]
    )
    price_minor = MajorAmountField("Your price", validators=[InputRequired()])
    delivery_days = IntegerField(
        "Delivery (days)", validators=[InputRequired(), NumberRange(*DELIVERY_DAYS)]
    )


class BoardFilterForm(FlaskForm):
    class Meta:
        csrf = False

    # Unknown values are refused by queries.BoardFilters.check (with a message), not here.
    q = StringField("Search", validators=[Optional(), Length(max=200)])
    category = SelectField(
        "Category",
        choices=select_choices([("", "Any category"), *CATEGORY_CHOICES]),
        validate_choice=False,
    )
    kind = SelectField(
        "Kind",
        choices=select_choices([("", "Any kind"), *KIND_LABELS.items()]),
        validate_choice=False,
    )
    currency = SelectField(
        "Currency",
        choices=select_choices([("", "Any currency"), *CURRENCY_CHOICES]),
        validate_choice=False,
    )
    budget_min_minor = MajorAmountField("Budget from", validators=[Optional()])
    budget_max_minor = MajorAmountField("Budget up to", validators=[Optional()])

"""Forms of the pool pages. Prices are typed in major units; the service reports errors on
``tiers``/``min_total_minor``, which ``error_fields`` maps to the typed fields."""

from __future__ import annotations

from datetime import UTC

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.forms import IntegerField, input_from, select_choices, storable_text, text_area
from app.money import SUPPORTED_CURRENCIES, MoneyError, parse_major
from app.offers.models import CATEGORIES
from app.pools.services import MAX_CLUSTER, MAX_PLEDGES, MAX_TEXT, MAX_TITLE, PoolInput

TIER_ROWS = 3


def _amount(form: object, field: StringField) -> None:
    if field.data:
        try:
            parse_major(field.data)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from exc


def _count(label: str, *, required: bool) -> IntegerField:
    checks = [DataRequired(message="Give a number of pledges.")] if required else [Optional()]
    return IntegerField(
        label,
        low=0,
        high=MAX_PLEDGES,
        validators=[*checks, NumberRange(1, MAX_PLEDGES, message=f"1 to {MAX_PLEDGES}.")],
        render_kw={"inputmode": "numeric"},
    )


def _price(label: str, *, required: bool) -> StringField:
    checks = [DataRequired(message="Give the price.")] if required else [Optional()]
    return StringField(label, validators=[*checks, _amount], render_kw={"inputmode": "decimal"})


class PoolForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE), storable_text])
    description = text_area("What you will make", MAX_TEXT, required="Describe the deliverable.")
    category = SelectField("Category", choices=select_choices((c, c) for c in CATEGORIES))
    delivery_promise = TextAreaField(
        "Delivery promise", validators=[Length(max=MAX_TEXT), storable_text]
    )
    delivery_days = IntegerField(
        "Delivery within (days after close)",
        default=14,
        validators=[DataRequired(), NumberRange(1, 90, message="1 to 90 days.")],
    )
    currency = SelectField("Currency", choices=select_choices((c, c) for c in SUPPORTED_CURRENCIES))
    deadline = DateTimeLocalField(
        "Pledge deadline (UTC)", validators=[DataRequired(message="Set a deadline.")]
    )
    min_pledges = IntegerField(
        "Minimum pledges",
        validators=[DataRequired(), NumberRange(1, MAX_PLEDGES, message=f"1 to {MAX_PLEDGES}.")],
    )
    min_total = _price("Minimum total (optional)", required=False)
    tier1_count = _count("Tier 1: from pledges", required=True)
    tier1_price = _price("Tier 1: price each", required=True)
    tier2_count = _count("Tier 2: from pledges", required=False)
    tier2_price = _price("Tier 2: price each", required=False)
    tier3_count = _count("Tier 3: from pledges", required=False)
    tier3_price = _price("Tier 3: price each", required=False)
    cluster = HiddenField(validators=[Optional(), Length(max=MAX_CLUSTER)])

    error_fields = {"tiers": "tier1_price", "min_total_minor": "min_total"}

    def tiers(self) -> list[tuple[int, int]]:
        rows = []
        for n in range(1, TIER_ROWS + 1):
            count, price = getattr(self, f"tier{n}_count").data, getattr(self, f"tier{n}_price")
            if count and price.data:
                rows.append((int(count), parse_major(price.data)))
        return rows

    def validate_tier2_price(self, field: StringField) -> None:
        self._pair(2)

    def validate_tier3_price(self, field: StringField) -> None:
        self._pair(3)

    def _pair(self, n: int) -> None:
        if bool(getattr(self, f"tier{n}_count").data) != bool(getattr(self, f"tier{n}_price").data):
            raise ValidationError("Give both the number of pledges and the price, or neither.")

    def pool_input(self) -> PoolInput:
        assert self.deadline.data is not None
        return input_from(
            self,
            PoolInput,
            deadline=self.deadline.data.replace(tzinfo=UTC),
            min_pledges=int(self.min_pledges.data or 0),
            tiers=self.tiers(),
            delivery_days=int(self.delivery_days.data or 0),
            min_total_minor=parse_major(self.min_total.data) if self.min_total.data else None,
        )

"""Offer forms: catalog filters and one form per kind, each turning itself into service input.

Forms check syntax and presence (a number where a number belongs); the rules of an offer live
in ``app.offers.validation`` and come back as dotted error keys, which ``apply_offer_errors``
puts next to the matching row field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional, ValidationError

from app import countries
from app.errors import DomainError, ValidationFailed
from app.forms import DecimalField, IntegerField, apply_errors, select_choices, split_list
from app.money import SUPPORTED_CURRENCIES, MoneyError, check_amount, parse_major
from app.offers.catalog import CatalogQuery
from app.offers.models import CATEGORIES, DeliverableKind, OfferKind, Platform
from app.offers.validation import (
    MAX_DELIVERABLES,
    DeliverableInput,
    InfluencerInput,
    OfferInput,
    PackageInput,
    ServiceOfferInput,
    StockMediaInput,
)


def _money_check(form: Any, field: Any) -> None:
    if field.data is None:
        return
    try:
        currency = getattr(getattr(form, "currency", None), "data", None)
        check_amount(parse_major(field.data), currency or None)
    except MoneyError as exc:
        raise ValidationError(str(exc)) from exc


def _price_filter_check(form: Any, field: Any) -> None:
    # Also keeps NaN and absurd amounts (which would overflow the driver) out of the query.
    try:
        check_amount(parse_major(field.data), allow_zero=True)
    except MoneyError as exc:
        raise ValidationError(str(exc)) from exc


def _minor(value: Decimal | None) -> int:
    # Only called after _money_check passed, so the amount is valid (0 only when missing).
    return parse_major(value) if value is not None else 0


def _major(amount: int | None) -> Decimal | None:
    return None if amount is None else Decimal(amount) / 100


def money_field(label: str, **kwargs: Any) -> DecimalField:
    return DecimalField(label, places=2, validators=[Optional(), _money_check], **kwargs)


def days_field(label: str = "Delivery (days)") -> IntegerField:
    return IntegerField(label, validators=[Optional()])


KIND_LABELS = {
    OfferKind.SERVICE: "Services",
    OfferKind.STOCK_MEDIA: "Stock media",
    OfferKind.INFLUENCER: "Sponsored posts (influencers)",
}


class CatalogFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form; nothing changes

    q = StringField("Search")
    kind = SelectField(
        "Kind",
        default="",
        choices=select_choices([("", "Any kind")] + [(k.value, KIND_LABELS[k]) for k in OfferKind]),
    )
    category = SelectField(
        "Category",
        default="",
        choices=select_choices([("", "Any category")] + [(c, c) for c in CATEGORIES]),
    )
    price_min = DecimalField("Min price", places=2, validators=[Optional(), _price_filter_check])
    price_max = DecimalField("Max price", places=2, validators=[Optional(), _price_filter_check])
    max_days = IntegerField("Delivered within (days)", validators=[Optional(), NumberRange(1, 365)])
    min_rating = SelectField(
        "Rating",
        default="",
        choices=select_choices(
            [
                ("", "Any rating"),
                ("4.5", "4.5 stars and up"),
                ("4", "4 stars and up"),
                ("3", "3 stars and up"),
            ]
        ),
    )
    level = SelectField(
        "Creator level",
        default="",
        choices=select_choices(
            [
                ("", "Any level"),
                ("Rising", "Rising and up"),
                ("Established", "Established and up"),
                ("Top", "Top creators"),
            ]
        ),
    )
    # "Relevance" is the default: with a query it ranks by meaning, without one it is newest.
    sort = SelectField(
        "Sort",
        default="relevance",
        choices=select_choices(
            [
                ("relevance", "Relevance"),
                ("newest", "Newest"),
                ("price_asc", "Price: low to high"),
                ("price_desc", "Price: high to low"),
            ]
        ),
    )

    def to_query(self, page: int, per_page: int) -> CatalogQuery:
        """The query for the valid filters (call after ``validate``; bad ones are dropped)."""

        def ok(field: Any) -> Any:
            return None if field.errors or field.data is None else field.data

        def minor(field: Any) -> int | None:
            value = ok(field)
            return None if value is None else parse_major(value)

        kind = ok(self.kind)
        return CatalogQuery(
            q=(self.q.data or "").strip(),
            kind=OfferKind(kind) if kind else None,
            category=ok(self.category) or None,
            price_min_minor=minor(self.price_min),
            price_max_minor=minor(self.price_max),
            max_delivery_days=ok(self.max_days),
            min_rating=float(rating) if (rating := ok(self.min_rating)) else None,
            min_level=ok(self.level) or None,
            sort=ok(self.sort) or "relevance",
            page=page,
            per_page=per_page,
        )


class _OfferForm(FlaskForm):
    title = StringField("Title")
    description = TextAreaField("Description")
    category = SelectField("Category", choices=select_choices((c, c) for c in CATEGORIES))
    tags = StringField("Tags (comma separated)")
    currency = SelectField("Currency", choices=select_choices((c, c) for c in SUPPORTED_CURRENCIES))

    # Service error keys that name a form field differently.
    field_names: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section_errors: dict[str, list[str]] = {}

    def common(self) -> dict[str, Any]:
        return {
            "title": self.title.data or "",
            "description": self.description.data or "",
            "category": self.category.data or "",
            "tags": split_list(self.tags.data),
            "currency": self.currency.data or "",
        }

    def fill_common(self, data: OfferInput) -> None:
        self.title.data = data.title
        self.description.data = data.description
        self.category.data = data.category
        self.tags.data = ", ".join(data.tags)
        self.currency.data = data.currency

    def to_input(self) -> OfferInput:
        raise NotImplementedError

    def fill(self, data: OfferInput) -> None:
        raise NotImplementedError

    def row_field(self, key: str) -> Any:
        """The form field for a dotted service error key such as ``packages.basic.price_minor``."""
        return None


class _Row(Form):
    """A fixed row of a form; a row left blank is ignored."""

    required: tuple[tuple[str, str], ...] = ()
    content: tuple[str, ...] = ()

    def is_blank(self) -> bool:
        return all(self[name].data in (None, "") for name in self.content)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_blank():
            return ok
        for name, message in self.required:
            field = self[name]
            if field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok


class PackageRow(_Row):
    price = money_field("Price")
    delivery_days = days_field()
    revisions = IntegerField("Revisions", default=1, validators=[Optional()])
    includes = TextAreaField("What is included")

    required = (("price", "Enter a price."), ("delivery_days", "Enter the delivery time."))
    content = ("price", "delivery_days", "includes")


ROW_FIELDS = {"price_minor": "price"}


class ServiceOfferForm(_OfferForm):
    basic = FormField(PackageRow, label="Basic")
    standard = FormField(PackageRow, label="Standard")
    premium = FormField(PackageRow, label="Premium")

    TIERS = ("basic", "standard", "premium")

    def rows(self) -> list[tuple[str, PackageRow]]:
        return [(tier, self[tier].form) for tier in self.TIERS]

    def to_input(self) -> OfferInput:
        packages = [
            PackageInput(
                tier=tier,
                price_minor=_minor(row.price.data),
                delivery_days=row.delivery_days.data or 0,
                revisions=row.revisions.data if row.revisions.data is not None else 0,
                includes=row.includes.data or "",
            )
            for tier, row in self.rows()
            if not row.is_blank()
        ]
        return ServiceOfferInput(packages=packages, **self.common())

    def fill(self, data: OfferInput) -> None:
        assert isinstance(data, ServiceOfferInput)
        self.fill_common(data)
        for package in data.packages:
            row = self[package.tier].form
            row.price.data = _major(package.price_minor)
            row.delivery_days.data = package.delivery_days
            row.revisions.data = package.revisions
            row.includes.data = package.includes

    def row_field(self, key: str) -> Any:
        filled = [row for _tier, row in self.rows() if not row.is_blank()]
        return _row_field(filled, key)


class StockMediaForm(_OfferForm):
    standard_license = money_field("Standard license price")
    enhanced_license = money_field("Enhanced license price")

    field_names = {
        "standard_license_minor": "standard_license",
        "enhanced_license_minor": "enhanced_license",
    }

    def to_input(self) -> OfferInput:
        return StockMediaInput(
            standard_license_minor=_minor(self.standard_license.data),
            enhanced_license_minor=_minor(self.enhanced_license.data),
            **self.common(),
        )

    def fill(self, data: OfferInput) -> None:
        assert isinstance(data, StockMediaInput)
        self.fill_common(data)
        self.standard_license.data = _major(data.standard_license_minor)
        self.enhanced_license.data = _major(data.enhanced_license_minor)


class DeliverableRow(_Row):
    kind = SelectField(
        "Deliverable",
        default="",
        choices=select_choices(
            [("", "—")] + [(k.value, k.value.replace("_", " ")) for k in DeliverableKind]
        ),
    )
    price = money_field("Price")
    delivery_days = days_field()
    description = StringField("Details")

    required = (
        ("kind", "Choose a deliverable."),
        ("price", "Enter a price."),
        ("delivery_days", "Enter the delivery time."),
    )
    content = ("kind", "price", "delivery_days", "description")


class InfluencerForm(_OfferForm):
    platform = SelectField(
        "Platform", choices=select_choices((p.value, p.value.capitalize()) for p in Platform)
    )
    handle = StringField("Handle")
    audience_size = IntegerField("Audience (followers)", validators=[Optional()])
    engagement_rate = DecimalField("Engagement rate (%)", places=2, validators=[Optional()])
    audience_topics = StringField("Audience topics (comma separated)")
    audience_regions = StringField("Audience countries (comma separated, e.g. Germany, France)")
    deliverables = FieldList(
        FormField(DeliverableRow), min_entries=MAX_DELIVERABLES, max_entries=MAX_DELIVERABLES
    )

    field_names = {"engagement_rate_bp": "engagement_rate"}

    def _filled_rows(self) -> list[tuple[int, DeliverableRow]]:
        rows = [(i, entry.form) for i, entry in enumerate(self.deliverables.entries)]
        return [(i, row) for i, row in rows if not row.is_blank()]

    def to_input(self) -> OfferInput:
        rate = self.engagement_rate.data
        return InfluencerInput(
            platform=self.platform.data or "",
            handle=self.handle.data or "",
            audience_size=self.audience_size.data if self.audience_size.data is not None else -1,
            engagement_rate_bp=_basis_points(rate),
            audience_topics=split_list(self.audience_topics.data),
            audience_regions=split_list(self.audience_regions.data),
            deliverables=[
                DeliverableInput(
                    kind=row.kind.data or "",
                    price_minor=_minor(row.price.data),
                    delivery_days=row.delivery_days.data or 0,
                    description=row.description.data or "",
                )
                for _i, row in self._filled_rows()
            ],
            **self.common(),
        )

    def fill(self, data: OfferInput) -> None:
        assert isinstance(data, InfluencerInput)
        self.fill_common(data)
        self.platform.data = data.platform
        self.handle.data = "@" + data.handle
        self.audience_size.data = data.audience_size
        self.engagement_rate.data = Decimal(data.engagement_rate_bp) / 100
        self.audience_topics.data = ", ".join(data.audience_topics)
        self.audience_regions.data = ", ".join(countries.name(c) for c in data.audience_regions)
        for entry, row in zip(self.deliverables.entries, data.deliverables, strict=False):
            entry.form.kind.data = row.kind
            entry.form.price.data = _major(row.price_minor)
            entry.form.delivery_days.data = row.delivery_days
            entry.form.description.data = row.description

    def row_field(self, key: str) -> Any:
        return _row_field([row for _i, row in self._filled_rows()], key)


def _row_field(filled: list[Any], key: str) -> Any:
    """``packages.1.price_minor`` -> the price field of the second filled-in row."""
    parts = key.split(".", 2)
    if len(parts) != 3:
        return None
    _section, index, name = parts
    if not index.isdigit() or int(index) >= len(filled):
        return None
    return getattr(filled[int(index)], ROW_FIELDS.get(name, name), None)


def _basis_points(rate: Decimal | None) -> int:
    """A percentage such as 3.45 as basis points (345); out-of-range values fail validation."""
    if rate is None or not rate.is_finite():
        return -1
    bp = rate * 100
    return int(bp) if bp == bp.to_integral_value() else -1


FORMS: dict[OfferKind, type[_OfferForm]] = {
    OfferKind.SERVICE: ServiceOfferForm,
    OfferKind.STOCK_MEDIA: StockMediaForm,
    OfferKind.INFLUENCER: InfluencerForm,
}


# List-level errors ("offer 1 to 3 packages") are shown above their rows.
SECTIONS = ("packages", "deliverables")


def apply_offer_errors(form: _OfferForm, error: DomainError) -> None:
    """Put service errors next to their fields, rows included; the rest become flashes."""
    errors = (
        error.errors
        if isinstance(error, ValidationFailed)
        else {error.field or "_": [error.message]}
    )
    rest: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if key in SECTIONS:
            form.section_errors[key] = messages
            continue
        name = form.field_names.get(key, key)
        target = form.row_field(key) if "." in key else getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, *messages]
        else:
            rest[key] = messages
    if rest:
        apply_errors(form, ValidationFailed(rest))

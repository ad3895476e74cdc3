"""Offer input: one frozen dataclass per kind, validated as a whole.

Every problem is collected before anything is raised, so a form or API client sees all of them
at once. Error keys are the input's field names; rows use dotted keys with the row's position in
the input: ``packages.<index>.<field>``, ``deliverables.<index>.<field>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import ClassVar

from app import countries
from app.accounts.services import clean_list
from app.errors import ValidationFailed
from app.money import MAX_INTEGER, MoneyError, check_amount, check_currency
from app.offers.models import CATEGORIES, DeliverableKind, OfferKind, PackageTier, Platform

TITLE_LENGTH = (5, 120)
DESCRIPTION_LENGTH = (20, 5000)
ROW_TEXT_MAX = 1000
DELIVERY_DAYS = (1, 365)
REVISIONS = (0, 20)
MAX_AUDIENCE = 2_000_000_000
MAX_ENGAGEMENT_BP = 10_000
MAX_PACKAGES = len(PackageTier)
MAX_DELIVERABLES = 6
MAX_TAGS = 15
TAG_LENGTH = 40
TIER_ORDER: tuple[PackageTier, ...] = (PackageTier.BASIC, PackageTier.STANDARD, PackageTier.PREMIUM)
# The handle as the platform shows it, without the "@" (which we add when displaying it).
HANDLE_PATTERN = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,62})")


@dataclass(frozen=True)
class PackageInput:
    tier: str
    price_minor: int
    delivery_days: int
    revisions: int = 1
    includes: str = ""


@dataclass(frozen=True)
class DeliverableInput:
    kind: str
    price_minor: int
    delivery_days: int = 7
    description: str = ""


@dataclass(frozen=True)
class ServiceOfferInput:
    kind: ClassVar[OfferKind] = OfferKind.SERVICE
    title: str
    description: str
    category: str
    packages: list[PackageInput]
    tags: list[str] = field(default_factory=list)
    currency: str = "USD"


@dataclass(frozen=True)
class StockMediaInput:
    kind: ClassVar[OfferKind] = OfferKind.STOCK_MEDIA
    title: str
    description: str
    standard_license_minor: int
    enhanced_license_minor: int
    tags: list[str] = field(default_factory=list)
    currency: str = "USD"
    category: str = "Photography"


@dataclass(frozen=True)
class InfluencerInput:
    kind: ClassVar[OfferKind] = OfferKind.INFLUENCER
    title: str
    description: str
    platform: str
    handle: str
    audience_size: int
    engagement_rate_bp: int
    deliverables: list[DeliverableInput]
    audience_topics: list[str] = field(default_factory=list)
    audience_regions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    currency: str = "USD"
    category: str = "Marketing & Social Media"


OfferInput = ServiceOfferInput | StockMediaInput | InfluencerInput
INPUT_TYPES: dict[OfferKind, type[OfferInput]] = {
    OfferKind.SERVICE: ServiceOfferInput,
    OfferKind.STOCK_MEDIA: StockMediaInput,
    OfferKind.INFLUENCER: InfluencerInput,
}


class _Errors(dict[str, list[str]]):
    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(message)


def _is_int(value: object) -> bool:
    # A JSON integer that fits a BIGINT column (app.money bounds every typed number).
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INTEGER


def _str(value: object) -> str:
    # NUL cannot be stored in PostgreSQL text; browsers never send it, so it is dropped.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def _text(errors: _Errors, key: str, value: str, length: tuple[int, int]) -> str:
    text = _str(value)
    low, high = length
    if not low <= len(text) <= high:
        errors.add(key, f"Use between {low} and {high} characters.")
    return text


def _optional_text(errors: _Errors, key: str, value: str, high: int = ROW_TEXT_MAX) -> str:
    text = _str(value)
    if len(text) > high:
        errors.add(key, f"Use at most {high} characters.")
    return text


def _number(errors: _Errors, key: str, value: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if not _is_int(value) or not low <= value <= high:
        errors.add(key, f"Enter a whole number from {low:,} to {high:,}.")
    return value


def _money(errors: _Errors, key: str, value: int, currency: str | None = None) -> bool:
    try:
        check_amount(value, currency)
    except MoneyError as exc:
        errors.add(key, str(exc))
        return False
    return True


def _list(errors: _Errors, key: str, values: list[str], **limits: int) -> list[str]:
    if not isinstance(values, list | tuple):
        errors.add(key, "Give a list of words or phrases.")
        return []
    try:
        return clean_list([_str(value) for value in values], field=key, **limits)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return []


def _countries(errors: _Errors, values: list[str]) -> list[str]:
    """Country names or ISO codes to codes, so briefs can ask for an audience by country."""
    codes = [countries.parse(value) for value in values]
    unknown = [value for value, code in zip(values, codes, strict=True) if code is None]
    if unknown:
        errors.add("audience_regions", f"Unknown countries: {', '.join(unknown)}.")
    return list(dict.fromkeys(code for code in codes if code))


def _common(errors: _Errors, data: OfferInput) -> dict[str, object]:
    cleaned: dict[str, object] = {
        "title": _text(errors, "title", data.title, TITLE_LENGTH),
        "description": _text(errors, "description", data.description, DESCRIPTION_LENGTH),
        "tags": _list(errors, "tags", data.tags, max_items=MAX_TAGS, max_length=TAG_LENGTH),
    }
    if data.category not in CATEGORIES:
        errors.add("category", "Choose one of the listed categories.")
    try:
        cleaned["currency"] = check_currency(data.currency)
    except (MoneyError, AttributeError):
        errors.add("currency", "Choose USD, EUR or GBP.")
    return cleaned


def _packages(
    errors: _Errors, packages: list[PackageInput], currency: str | None
) -> list[PackageInput]:
    if not 1 <= len(packages) <= MAX_PACKAGES:
        errors.add("packages", f"Offer 1 to {MAX_PACKAGES} packages (basic, standard, premium).")
        return []
    by_tier: dict[PackageTier, tuple[int, PackageInput]] = {}
    for index, package in enumerate(packages):
        key = f"packages.{index}"
        if package.tier not in set(PackageTier):
            errors.add(f"{key}.tier", "Use basic, standard or premium.")
            continue
        tier = PackageTier(package.tier)
        if tier in by_tier:
            errors.add(f"{key}.tier", "Each tier can be offered once.")
            continue
        price_ok = _money(errors, f"{key}.price_minor", package.price_minor, currency)
        _number(errors, f"{key}.delivery_days", package.delivery_days, DELIVERY_DAYS)
        _number(errors, f"{key}.revisions", package.revisions, REVISIONS)
        includes = _optional_text(errors, f"{key}.includes", package.includes)
        if price_ok:
            by_tier[tier] = (index, replace(package, tier=tier.value, includes=includes))
    ordered = [by_tier[tier] for tier in TIER_ORDER if tier in by_tier]
    for (_, cheaper), (index, dearer) in zip(ordered, ordered[1:], strict=False):
        if dearer.price_minor < cheaper.price_minor:
            errors.add(
                f"packages.{index}.price_minor",
                f"The {dearer.tier} package cannot cost less than the {cheaper.tier} one.",
            )
    return [package for _, package in ordered]


def _deliverables(
    errors: _Errors, rows: list[DeliverableInput], currency: str | None
) -> list[DeliverableInput]:
    if not 1 <= len(rows) <= MAX_DELIVERABLES:
        errors.add("deliverables", f"Offer 1 to {MAX_DELIVERABLES} deliverables.")
        return []
    cleaned: list[DeliverableInput] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        key = f"deliverables.{index}"
        if row.kind not in set(DeliverableKind):
            errors.add(f"{key}.kind", "Choose a deliverable: post, story, video, ...")
        elif row.kind in seen:
            errors.add(f"{key}.kind", "Each kind of deliverable can be offered once.")
        seen.add(row.kind)
        _money(errors, f"{key}.price_minor", row.price_minor, currency)
        _number(errors, f"{key}.delivery_days", row.delivery_days, DELIVERY_DAYS)
        text = _optional_text(errors, f"{key}.description", row.description)
        cleaned.append(replace(row, description=text))
    return cleaned


def clean_handle(raw: str) -> str | None:
    """``"@Some.Name"`` -> ``"Some.Name"``; None when it is not a plausible handle."""
    handle = raw.strip() if isinstance(raw, str) else ""
    handle = handle.removeprefix("@")
    return handle if HANDLE_PATTERN.fullmatch(handle) else None


def validate(data: OfferInput) -> OfferInput:
    """Return ``data`` trimmed and normalised; raise ValidationFailed listing every problem."""
    errors = _Errors()
    cleaned = _common(errors, data)
    currency = cleaned.get("currency")
    currency = currency if isinstance(currency, str) else None
    if isinstance(data, ServiceOfferInput):
        cleaned["packages"] = _packages(errors, data.packages, currency)
    elif isinstance(data, StockMediaInput):
        standard_ok = _money(
            errors, "standard_license_minor", data.standard_license_minor, currency
        )
        enhanced_ok = _money(
            errors, "enhanced_license_minor", data.enhanced_license_minor, currency
        )
        if (
            standard_ok
            and enhanced_ok
            and (data.enhanced_license_minor < data.standard_license_minor)
        ):
            errors.add(
                "enhanced_license_minor", "The enhanced license cannot cost less than standard."
            )
    else:
        if data.platform not in set(Platform):
            errors.add("platform", "Choose a platform.")
        handle = clean_handle(data.handle)
        if handle is None:
            errors.add("handle", "Enter the handle as shown on the platform, e.g. @studio.kim.")
        cleaned["handle"] = handle or ""
        _number(errors, "audience_size", data.audience_size, (0, MAX_AUDIENCE))
        _number(errors, "engagement_rate_bp", data.engagement_rate_bp, (0, MAX_ENGAGEMENT_BP))
        cleaned["audience_topics"] = _list(errors, "audience_topics", data.audience_topics)
        cleaned["audience_regions"] = _countries(
            errors, _list(errors, "audience_regions", data.audience_regions, max_items=20)
        )
        cleaned["deliverables"] = _deliverables(errors, data.deliverables, currency)
    if errors:
        raise ValidationFailed(dict(errors))
    return replace(data, **cleaned)  # type: ignore[arg-type]

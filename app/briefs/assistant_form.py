"""The brief form's side of the brief assistant: read a draft from the form as typed so far,
and apply the suggestions the business ticked (skills, category, budget range)."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal

from werkzeug.datastructures import MultiDict

from app.forms import split_list
from app.matching.assistant import Draft
from app.money import MAX_AMOUNT_MINOR, MINOR_UNITS_PER_MAJOR, NumberError, parse_int

ACTIONS = frozenset({"assist", "apply"})


def draft(form: MultiDict[str, str]) -> Draft:
    return Draft(
        title=form.get("title", "").strip(),
        description=form.get("description", "").strip(),
        skills=tuple(split_list(form.get("skills", ""))),
        category=form.get("category", ""),
        currency=form.get("currency", "USD").strip().upper(),
        offer_kinds=tuple(form.getlist("offer_kinds")),
    )


def _major(minor: int) -> str:
    return f"{Decimal(minor) / MINOR_UNITS_PER_MAJOR:.2f}"


def applied(form: MultiDict[str, str]) -> MultiDict[str, str]:
    """A copy of ``form`` with the ticked suggestions written into the brief's fields."""
    out = form.copy()
    skills = split_list(form.get("skills", ""))
    have = {s.lower() for s in skills}
    skills += [s for s in form.getlist("suggest_skill") if s.strip() and s.lower() not in have]
    out["skills"] = ", ".join(skills)
    if form.get("suggest_category"):
        out["category"] = form["suggest_category"]
    low, _, high = form.get("suggest_budget", "").partition("-")
    with suppress(NumberError):
        bounds = (
            parse_int(low, low=0, high=MAX_AMOUNT_MINOR),
            parse_int(high, low=0, high=MAX_AMOUNT_MINOR),
        )
        out["budget_min_minor"], out["budget_max_minor"] = _major(bounds[0]), _major(bounds[1])
    return out

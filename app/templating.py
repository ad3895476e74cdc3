"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, request, url_for

from app import countries
from app.money import format_minor


def money(amount: int | None, currency: str = "USD") -> str:
    return "—" if amount is None else format_minor(amount, currency)


def human_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%d %b %Y")


def label(value: Any) -> str:
    """Readable label for an enum value such as ``stock_media``."""
    return str(getattr(value, "value", value)).replace("_", " ").capitalize()


def initials(name: str | None) -> str:
    parts = [part for part in (name or "").split() if part[:1].isalnum()]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


def country_name(code: str | None) -> str:
    """``SE`` -> ``Sweden``; unknown codes are shown as they are."""
    return countries.name(code) if code else "—"


def duration(value: timedelta | float | int | None) -> str:
    """A span people read: ``timedelta(hours=151)`` or ``151`` (hours) -> "6 days 7 hours";
    under a day in hours and minutes; never fractional days."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else float(value) * 3600)
    if seconds <= 0:
        return "now"
    minutes = (seconds + 59) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        minutes = 0  # a day-long span needs no minutes
        if rest % 60:
            hours += 1
            if hours == 24:
                days, hours = days + 1, 0
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(words) or "now"


def url_with_page(page: int) -> str:
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values["page"] = str(page)
    return url_for(request.endpoint or "pages.home", **values)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money,
        human_date=human_date,
        duration=duration,
        label=label,
        initials=initials,
        country=country_name,
    )
    app.jinja_env.globals.update(url_with_page=url_with_page)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

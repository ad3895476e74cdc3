"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date, datetime
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


def url_with_page(page: int) -> str:
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values["page"] = str(page)
    return url_for(request.endpoint or "pages.home", **values)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money, human_date=human_date, label=label, initials=initials, country=country_name
    )
    app.jinja_env.globals.update(url_with_page=url_with_page)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

"""Stripe's official example objects, copied into the repo (see stripe_fixtures/SOURCE.md)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES_FILE = Path(__file__).resolve().parent.parent / "stripe_fixtures" / "stripe_objects.json"


@cache
def _all() -> dict[str, Any]:
    with open(FIXTURES_FILE, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def fixture(name: str) -> dict[str, Any]:
    """A fresh deep copy of the official example object ``name`` (e.g. "account")."""
    return copy.deepcopy(_all()[name])

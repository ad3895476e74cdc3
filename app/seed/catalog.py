"""Vocabulary for demo data: realistic freelance services, stock themes and influencer niches.

Every string in catalog.json was written for this project; the generator combines them with a
seeded random number generator so `flask seed-demo` is deterministic. The rows are data, so
they live in JSON; this module gives them their shapes:

- SERVICES: (category, title, description, skills, base price in whole units, delivery days)
- STOCK_THEMES: (category, title, description, keywords)
- INFLUENCER_NICHES: (category, headline, topics, platforms)
- BRIEFS: (category, title, description, skills, kinds, budget range in whole units)
- FIRST_NAMES, LAST_NAMES, COUNTRIES, LANGUAGES, COMPANY_WORDS, COVER_LETTERS: plain lists
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _tuples(value: Any) -> Any:
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


_DATA = {
    name: _tuples(rows)
    for name, rows in json.loads((Path(__file__).with_name("catalog.json")).read_text()).items()
}

SERVICES: tuple[tuple[str, str, str, tuple[str, ...], int, int], ...] = _DATA["SERVICES"]
STOCK_THEMES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = _DATA["STOCK_THEMES"]
INFLUENCER_NICHES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = _DATA[
    "INFLUENCER_NICHES"
]
FIRST_NAMES: tuple[str, ...] = _DATA["FIRST_NAMES"]
LAST_NAMES: tuple[str, ...] = _DATA["LAST_NAMES"]
COUNTRIES: tuple[str, ...] = _DATA["COUNTRIES"]
LANGUAGES: tuple[str, ...] = _DATA["LANGUAGES"]
COMPANY_WORDS: tuple[tuple[str, ...], ...] = _DATA["COMPANY_WORDS"]
BRIEFS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...], tuple[int, int]], ...] = _DATA[
    "BRIEFS"
]
COVER_LETTERS: tuple[str, ...] = _DATA["COVER_LETTERS"]

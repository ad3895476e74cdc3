"""Countries by ISO 3166-1 alpha-2 code, named in plain English (from ``pycountry``)."""

from __future__ import annotations

import functools

import pycountry


@functools.cache
def _names() -> dict[str, str]:
    names = {}
    for country in pycountry.countries:
        # "Korea, Republic of" reads worse than the common name where one exists.
        names[country.alpha_2] = getattr(country, "common_name", None) or country.name
    return names


def name(code: str) -> str:
    return _names().get(code.strip().upper(), code)


def is_code(code: str) -> bool:
    return code.strip().upper() in _names()


def choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name, for select fields."""
    return sorted(_names().items(), key=lambda item: item[1])


def parse(value: str) -> str | None:
    """A code or a name (any case) to its code; None when it is neither."""
    text = value.strip()
    if not text:
        return None
    if is_code(text):
        return text.upper()
    lowered = text.casefold()
    for code, label in _names().items():
        if label.casefold() == lowered:
            return code
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


# Countries where Stripe lets a platform open Express connected accounts for its creators
# (docs.stripe.com/connect/cross-border-payouts, supported countries): the onboarding form
# offers only these, and Stripe refuses the others (the emulator too).
STRIPE_CONNECT_COUNTRIES: frozenset[str] = frozenset(
    (
        "AE", "AT", "AU", "BE", "BG", "BR", "CA", "CH", "CY", "CZ", "DE", "DK",
        "EE", "ES", "FI", "FR", "GB", "GI", "GR", "HK", "HR", "HU", "IE", "IT",
        "JP", "LI", "LT", "LU", "LV", "MT", "MX", "MY", "NL", "NO", "NZ", "PL",
        "PT", "RO", "SE", "SG", "SI", "SK", "TH", "US",
    )
)  # fmt: skip


def connect_choices() -> list[tuple[str, str]]:
    """(code, name) pairs of STRIPE_CONNECT_COUNTRIES sorted by name."""
    return sorted(((c, name(c)) for c in STRIPE_CONNECT_COUNTRIES), key=lambda item: item[1])

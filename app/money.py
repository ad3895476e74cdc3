"""Money as integer minor units plus an ISO 4217 currency. Never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Currencies the marketplace settles in; all have two decimal places.
SUPPORTED_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
MINOR_UNITS_PER_MAJOR = 100
# A single price above this is almost certainly a typo; Stripe caps charges near here too.
MAX_AMOUNT_MINOR = 999_999_99
# Stripe's minimum charge amount per currency (docs.stripe.com/currencies, "Minimum and maximum
# charge amounts"): anything that is charged, or priced to be charged, must reach it. This is
# the one place the rule lives; every form and API validates amounts through check_amount.
MINIMUM_CHARGE_MINOR: dict[str, int] = {"USD": 50, "EUR": 50, "GBP": 30}
# When a caller does not know the currency yet, the strictest minimum applies.
STRICTEST_MINIMUM_MINOR = max(MINIMUM_CHARGE_MINOR.values())


class MoneyError(ValueError):
    """A money amount or currency is not acceptable."""


def check_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if code not in SUPPORTED_CURRENCIES:
        raise MoneyError(
            f"Unsupported currency {currency!r}; use one of {', '.join(SUPPORTED_CURRENCIES)}."
        )
    return code


def minimum_charge(currency: str | None) -> int:
    """Stripe's minimum charge in ``currency`` (the strictest one when it is not known)."""
    if currency is None:
        return STRICTEST_MINIMUM_MINOR
    return MINIMUM_CHARGE_MINOR.get(currency.strip().upper(), STRICTEST_MINIMUM_MINOR)


def check_amount(amount: int, currency: str | None = None, *, allow_zero: bool = False) -> int:
    """A price or charge amount in minor units: a whole number, at least Stripe's minimum
    charge for ``currency`` (``minimum_charge``), at most MAX_AMOUNT_MINOR. ``allow_zero`` is for
    bounds that are never charged (search filters): zero and small amounts are then fine.
    Raises MoneyError."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError("Amounts are whole numbers of minor units (cents).")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise MoneyError("Amount must be greater than zero.")
    if amount > MAX_AMOUNT_MINOR:
        raise MoneyError(f"Amount must be at most {format_minor(MAX_AMOUNT_MINOR, 'USD')[1:]}.")
    minimum = minimum_charge(currency)
    if not allow_zero and amount < minimum:
        shown = format_minor(minimum, currency.upper()) if currency else f"{minimum / 100:.2f}"
        raise MoneyError(f"Amount must be at least {shown} (the smallest card payment).")
    return amount


# --- bounded number parsing ------------------------------------------------------------
# Every number a user can type (forms, query strings, JSON) is read by the functions below,
# which look at its *text* before any arithmetic: a length cap and a plain-digits grammar (no
# exponent, no NaN/Infinity), so "1e999999" costs nothing instead of seconds of Decimal work.
# These constants and functions are the one place the bounds live (API schemas reuse them).
MAX_NUMBER_LENGTH = 32  # characters, signs, separators and surrounding spaces included
MAX_WHOLE_DIGITS = 15  # digits before the point: beyond any amount, count or id we store
MAX_FRACTION_DIGITS = 6  # digits after the point (money takes 2, percentages 2)
MAX_INTEGER = 2**63 - 1  # a BIGINT column; larger values could never be stored
_NUMBER = re.compile(r"([+-]?)([0-9]+)(?:\.([0-9]*))?|([+-]?)\.([0-9]+)")
NUMBER_MESSAGE = "Enter a number such as 25 or 25.50."
AMOUNT_MESSAGE = "Enter an amount such as 25 or 25.50."


class NumberError(MoneyError):
    """A typed number is not a plain, reasonably sized number."""


def parse_decimal(text: Any, *, places: int = MAX_FRACTION_DIGITS) -> Decimal:
    """A user-typed number ("1,250.5", " 12 ") as a Decimal with at most ``places`` decimals.

    Raises NumberError for anything else, checked on the text before any arithmetic: longer
    than MAX_NUMBER_LENGTH, an exponent, NaN/Infinity, more than MAX_WHOLE_DIGITS digits.
    ``int``/``Decimal`` inputs (already parsed values) go through the same checks.
    """
    if isinstance(text, bool) or text is None:
        raise NumberError(NUMBER_MESSAGE)
    if isinstance(text, float):
        raise NumberError(NUMBER_MESSAGE)  # binary floats are never exact amounts
    if isinstance(text, Decimal):
        exponent = text.as_tuple().exponent
        if not text.is_finite() or not isinstance(exponent, int) or abs(exponent) > 64:
            raise NumberError(NUMBER_MESSAGE)
    raw = format(text, "f") if isinstance(text, Decimal) else str(text)
    if len(raw) > MAX_NUMBER_LENGTH:
        raise NumberError("That number is too long.")
    match = _NUMBER.fullmatch(raw.strip().replace(",", ""))
    if match is None:
        raise NumberError(AMOUNT_MESSAGE if places == 2 else NUMBER_MESSAGE)
    sign, whole, fraction = (
        (match[1], match[2], match[3] or "") if match[2] is not None else (match[4], "0", match[5])
    )
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise NumberError("That number is too large.")
    fraction = fraction.rstrip("0")
    if len(fraction) > places:
        raise NumberError(
            "Amounts have at most two decimal places."
            if places == 2
            else f"Use at most {places} decimal places."
        )
    return Decimal(f"{sign}{whole}.{fraction or '0'}")


def parse_int(value: Any, *, low: int = -MAX_INTEGER, high: int = MAX_INTEGER) -> int:
    """A whole number from typed text or a JSON value, within ``low``..``high``.

    Raises NumberError. JSON booleans and floats are refused (``1.0`` is not an id); the text
    is bounded before ``int()`` sees it.
    """
    if isinstance(value, bool | float) or value is None:
        raise NumberError("Enter a whole number.")
    if isinstance(value, int):
        number = value
    else:
        raw = str(value).strip()
        if len(raw) > MAX_NUMBER_LENGTH or not re.fullmatch(r"[+-]?[0-9]+", raw):
            raise NumberError("Enter a whole number.")
        number = int(raw)
    if not low <= number <= high:
        raise NumberError(f"Use a whole number from {low} to {high}.")
    return number


def parse_major(text: str | Decimal | int | float) -> int:
    """Parse a user-typed major-unit amount ("12.50") into minor units (1250).

    Raises MoneyError (a NumberError) for malformed, oversized or over-precise input, before
    any arithmetic; range checks against MAX_AMOUNT_MINOR are ``check_amount``'s job.
    """
    if isinstance(text, float):
        text = repr(text)  # a float from a form library: its shortest text, still bounded
    value = parse_decimal(text, places=2)
    return int(value * MINOR_UNITS_PER_MAJOR)


def format_minor(amount: int, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), MINOR_UNITS_PER_MAJOR)
    return f"{sign}{symbol}{major:,}.{minor:02d}"


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise MoneyError("Money amounts are integers in minor units.")
        check_currency(self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"Cannot combine {self.currency} with {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return format_minor(self.amount, self.currency)

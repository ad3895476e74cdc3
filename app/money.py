"""Money as integer minor units plus an ISO 4217 currency. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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


def parse_major(text: str | Decimal | int | float) -> int:
    """Parse a user-typed major-unit amount ("12.50") into minor units (1250)."""
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise MoneyError("Enter an amount such as 25 or 25.50.") from exc
    if not value.is_finite():
        raise MoneyError("Enter an amount such as 25 or 25.50.")
    minor = value * MINOR_UNITS_PER_MAJOR
    if minor != minor.to_integral_value():
        raise MoneyError("Amounts have at most two decimal places.")
    return int(minor)


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

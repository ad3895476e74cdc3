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


class MoneyError(ValueError):
    """A money amount or currency is not acceptable."""


def check_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if code not in SUPPORTED_CURRENCIES:
        raise MoneyError(
            f"Unsupported currency {currency!r}; use one of {', '.join(SUPPORTED_CURRENCIES)}."
        )
    return code


def check_amount(amount: int, *, allow_zero: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError("Amounts are whole numbers of minor units (cents).")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise MoneyError("Amount must be greater than zero.")
    if amount > MAX_AMOUNT_MINOR:
        raise MoneyError(f"Amount must be at most {format_minor(MAX_AMOUNT_MINOR, 'USD')[1:]}.")
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

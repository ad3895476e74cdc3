"""Currency conversion for comparisons (recommendations and budget fit), from a dated table.

Offers and briefs keep their own currency and every payment is made in the offer's currency;
conversion is only used to compare a price with a budget and to show "≈ €460" next to it. The
table is shipped with the code (no network at run time) and its date is shown wherever a
converted amount is, so nobody mistakes it for a live quote. To refresh it, replace ``RATES``
and ``AS_OF`` (units of each currency per 1 EUR, e.g. from the ECB's daily reference rates).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

AS_OF = date(2025, 11, 28)
SOURCE = "euro reference rates (indicative snapshot)"
# Units per 1 EUR. Every supported currency (app.money.SUPPORTED_CURRENCIES) must be here.
RATES: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "USD": Decimal("1.1600"),
    "GBP": Decimal("0.8770"),
}


class UnknownCurrency(ValueError):
    pass


def rate(source: str, target: str) -> Decimal:
    """Units of ``target`` per unit of ``source``."""
    try:
        return RATES[target.upper()] / RATES[source.upper()]
    except KeyError as exc:
        raise UnknownCurrency(f"No exchange rate for {exc.args[0]}.") from exc


def convert(amount_minor: int, source: str, target: str) -> int:
    """``amount_minor`` of ``source`` in ``target`` minor units, rounded half-even (all
    supported currencies have 2 decimals)."""
    if source.upper() == target.upper():
        return amount_minor
    value = Decimal(amount_minor) * rate(source, target)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

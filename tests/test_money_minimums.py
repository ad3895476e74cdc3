"""Stripe's minimum charge amount per currency, enforced once (app.money.check_amount)."""

from __future__ import annotations

import pytest

from app.devtools.stripe_emulator.strict import MINIMUM_CHARGE_MINOR as EMULATOR_MINIMUMS
from app.money import MINIMUM_CHARGE_MINOR, SUPPORTED_CURRENCIES, MoneyError, check_amount


@pytest.mark.parametrize(
    ("amount", "currency", "ok"),
    [
        (50, "USD", True),
        (49, "USD", False),
        (50, "EUR", True),
        (49, "EUR", False),
        (30, "GBP", True),
        (29, "GBP", False),
        (49, None, False),  # currency not known yet: the strictest minimum applies
        (50, None, True),
    ],
)
def test_minimum_charge_per_currency(amount, currency, ok):
    if ok:
        assert check_amount(amount, currency) == amount
    else:
        with pytest.raises(MoneyError, match="at least"):
            check_amount(amount, currency)


def test_search_bounds_are_not_charges():
    assert check_amount(0, "EUR", allow_zero=True) == 0
    assert check_amount(10, "EUR", allow_zero=True) == 10


def test_the_app_and_the_emulator_agree_on_every_supported_currency():
    for currency in SUPPORTED_CURRENCIES:
        assert MINIMUM_CHARGE_MINOR[currency] == EMULATOR_MINIMUMS[currency.lower()]

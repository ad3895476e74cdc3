"""The platform's settlement currencies, currency conversion and Stripe's fees.

As on Stripe (docs.stripe.com/currencies#presentment-and-settlement, docs.stripe.com/
reports/balance-transaction-types): a charge's balance transaction is in a settlement currency
of the platform. A charge in a currency the platform settles in stays in it; any other is
converted to the primary settlement currency (the first one) at ``FX_PER_EUR`` with
``exchange_rate`` set. Every charge's balance transaction carries Stripe's fee (``fee``,
``fee_details``; ``net`` = amount - fee) and ``available_on`` = created + AVAILABLE_AFTER_DAYS.
Refunds are converted at their charge's rate. A transfer with ``source_transaction`` must be in
the currency of that charge's balance transaction (transfers.py).

The table and the fee are fixed and documented here, not live: 2.9 % + 0.30 per charge (in the
balance transaction's currency) plus 1 % when the charge was converted. Configure with
``--settlement-currencies usd,eur,gbp`` or ``POST /_config/settlement {"currencies": [...]}``
(new charges only). The default settles in the three currencies the marketplace sells in.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from aiohttp import web
from localstripe.resources import BalanceTransaction, Charge, Refund, store

from .errors import invalid_param
from .params import body_params
from .responses import json_response

FX_PER_EUR: dict[str, Decimal] = {
    "eur": Decimal("1"),
    "usd": Decimal("1.1600"),
    "gbp": Decimal("0.8770"),
    "chf": Decimal("0.9300"),
    "sek": Decimal("10.9500"),
    "dkk": Decimal("7.4600"),
    "pln": Decimal("4.2300"),
}
FEE_PERCENT_BP = 290
FEE_FIXED_MINOR = 30
CONVERSION_FEE_BP = 100
AVAILABLE_AFTER_DAYS = 2
DEFAULT_CURRENCIES = ("usd", "eur", "gbp")
currencies: list[str] = list(DEFAULT_CURRENCIES)


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def rate(source: str, target: str) -> Decimal:
    return FX_PER_EUR[target] / FX_PER_EUR[source]


def settle(amount: int, currency: str) -> tuple[str, int, Decimal | None]:
    """(balance transaction currency, amount in it, exchange rate or None)."""
    currency = currency.lower()
    if currency in currencies or currency not in FX_PER_EUR:
        return currency, amount, None
    target = currencies[0]
    exchange = rate(currency, target)
    return target, _round(Decimal(amount) * exchange), exchange


def fee_for(amount: int, converted: bool) -> int:
    percent = FEE_PERCENT_BP + (CONVERSION_FEE_BP if converted else 0)
    return _round(Decimal(amount) * percent / 10_000) + FEE_FIXED_MINOR


def charge_transaction(charge: Any) -> Any:
    txn_id = getattr(charge, "balance_transaction", None)
    return store.get("balance_transaction:" + txn_id) if txn_id else None


def _apply(txn: Any, amount: int, currency: str, exchange: Decimal | None, fee: int) -> None:
    txn.amount, txn.currency = amount, currency
    txn.exchange_rate = float(exchange) if exchange is not None else None
    txn.fee = fee
    txn.fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    txn.available_on = int(txn.created) + AVAILABLE_AFTER_DAYS * 86400
    store["balance_transaction:" + txn.id] = txn


def patch_settlement() -> None:
    if getattr(Charge, "_emulator_settlement", False):
        return
    original_trigger = Charge._trigger_payment
    original_refund_init = Refund.__init__

    def _trigger_payment(self: Charge, on_success: Any = None) -> None:
        original_trigger(self, on_success)
        txn = charge_transaction(self)
        if txn is not None and txn.type == "charge":
            currency, amount, exchange = settle(int(self.amount), self.currency)
            _apply(txn, amount, currency, exchange, fee_for(amount, exchange is not None))

    def _refund_init(self: Refund, *args: Any, **kwargs: Any) -> None:
        original_refund_init(self, *args, **kwargs)
        charge = store.get("charge:" + str(self.charge))
        charge_txn = charge_transaction(charge) if charge is not None else None
        txn = store.get("balance_transaction:" + str(getattr(self, "balance_transaction", "")))
        if charge_txn is None or txn is None:
            return
        exchange = Decimal(str(charge_txn.exchange_rate)) if charge_txn.exchange_rate else None
        amount = int(self.amount) if exchange is None else _round(Decimal(self.amount) * exchange)
        _apply(txn, -amount, charge_txn.currency, exchange, 0)

    Charge._trigger_payment = _trigger_payment
    Refund.__init__ = _refund_init
    Charge._emulator_settlement = True
    BalanceTransaction.exchange_rate = None


def refunded_in_settlement(charge: Any) -> int:
    """What the charge's refunds took back, in its balance transaction's currency."""
    total = 0
    for refund in charge.refunds._list:
        txn = store.get("balance_transaction:" + str(getattr(refund, "balance_transaction", "")))
        total += -int(txn.amount) if txn is not None else int(refund.amount)
    return total


async def config_settlement(request: web.Request) -> web.Response:
    params = await body_params(request)
    wanted = params.get("currencies")
    if not isinstance(wanted, list) or not wanted:
        raise invalid_param("currencies", "currencies must be a non-empty list")
    codes = [str(c).lower() for c in wanted]
    unknown = [c for c in codes if c not in FX_PER_EUR]
    if unknown:
        raise invalid_param("currencies", f"No exchange rate for {', '.join(unknown)}")
    currencies[:] = codes
    return json_response({"currencies": currencies})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/_config/settlement", config_settlement)

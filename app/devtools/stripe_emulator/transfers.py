"""Transfers to connected accounts and their reversals, which localstripe does not have.

Validation follows Stripe's order and wording closely enough for an app to branch on the
error ``code``; every check runs before anything is created, so a refused transfer leaves no
trace (and no idempotency record, see idempotency.py).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aiohttp import web
from localstripe.resources import BalanceTransaction, Charge, StripeObject, random_id, store

from . import events, settlement, state
from .accounts import get_account
from .errors import StripeApiError, invalid_param, missing_param, no_such, unknown_params
from .params import (
    as_currency,
    as_dict,
    as_int,
    as_str,
    body_params,
    filtered_list_response,
    list_response,
    merge_metadata,
    query_params,
)
from .responses import json_response


class LedgerTransaction(BalanceTransaction):
    """A platform balance transaction for a transfer (negative) or a reversal (positive).

    localstripe's BalanceTransaction only accepts charges and refunds; sharing its store
    namespace makes these show up in GET /v1/balance/history and in the platform balance.
    """

    def __init__(self, amount: int, currency: str, source: str, kind: str) -> None:
        StripeObject.__init__(self)
        self.amount = amount
        self.available_on = self.created
        self.currency = currency
        self.description = None
        self.exchange_rate = None
        self.fee = 0
        self.fee_details: list[Any] = []
        self.reporting_category = kind
        self.source = source
        self.status = "available"
        self.type = kind


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str | None,
        transfer_group: str | None,
        description: str | None,
        metadata: dict[str, str],
    ) -> None:
        super().__init__()
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency
        self.destination = destination
        self.destination_payment = "py_" + random_id(14)
        self.source_transaction = source_transaction
        self.transfer_group = transfer_group
        self.description = description
        self.metadata = metadata
        self.balance_transaction = LedgerTransaction(-amount, currency, self.id, "transfer").id

    @property
    def remaining(self) -> int:
        return self.amount - self.amount_reversed

    def reversals(self) -> list[TransferReversal]:
        found = [v for v in state.objects("transfer_reversal") if v.transfer == self.id]
        return sorted(found, key=lambda r: (r.created, r.id), reverse=True)

    def _export(self, expand: Any = None) -> dict[str, Any]:
        reversals = self.reversals()
        return {
            "id": self.id,
            "object": "transfer",
            "amount": self.amount,
            "amount_reversed": self.amount_reversed,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "destination": self.destination,
            "destination_payment": self.destination_payment,
            "livemode": False,
            "metadata": dict(self.metadata),
            "reversals": {
                "object": "list",
                "data": [r._export() for r in reversals[:10]],
                "has_more": len(reversals) > 10,
                "url": f"/v1/transfers/{self.id}/reversals",
            },
            "reversed": self.amount_reversed >= self.amount,
            "source_transaction": self.source_transaction,
            "source_type": "card",
            "transfer_group": self.transfer_group,
        }


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(
        self,
        transfer: Transfer,
        amount: int,
        description: str | None,
        metadata: dict[str, str],
    ) -> None:
        super().__init__()
        self.transfer = transfer.id
        self.amount = amount
        self.currency = transfer.currency
        self.description = description
        self.metadata = metadata
        self.destination_payment_refund = "pyr_" + random_id(14)
        self.balance_transaction = LedgerTransaction(
            amount, transfer.currency, self.id, "transfer_reversal"
        ).id

    def _export(self, expand: Any = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "transfer_reversal",
            "amount": self.amount,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "destination_payment_refund": self.destination_payment_refund,
            "metadata": dict(self.metadata),
            "source_refund": None,
            "transfer": self.transfer,
        }


def all_transfers() -> list[Transfer]:
    found = state.objects("transfer")
    return sorted(found, key=lambda t: (t.created, t.id), reverse=True)


def get_transfer(transfer_id: str) -> Transfer:
    obj = store.get("transfer:" + transfer_id)
    if not isinstance(obj, Transfer):
        raise no_such("transfer", transfer_id, "id")
    return obj


def platform_available() -> dict[str, int]:
    """Available platform funds per currency: every balance transaction (captured charges,
    refunds, transfers, reversals, disputes) summed net of Stripe's fees; everything counts as
    available at once (available_on is reported, not enforced)."""
    totals: dict[str, int] = defaultdict(int)
    for txn in state.objects("balance_transaction"):
        totals[txn.currency.lower()] += int(txn.amount) - int(getattr(txn, "fee", 0) or 0)
    return dict(totals)


def connected_available(account_id: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for transfer in all_transfers():
        if transfer.destination == account_id:
            totals[transfer.currency] += transfer.remaining
    return dict(totals)


def transferable_from_charge(charge: Any) -> int:
    """What is left of a charge for new transfers: amount - refunded - net already transferred.

    Reversed amounts are freed again, since a reversal puts the funds back on the platform.
    """
    transferred = sum(t.remaining for t in all_transfers() if t.source_transaction == charge.id)
    txn = settlement.charge_transaction(charge)
    if txn is None:
        return int(charge.amount) - int(charge.amount_refunded) - transferred
    # In the balance transaction's currency (the charge may have been converted).
    return int(txn.amount) - settlement.refunded_in_settlement(charge) - transferred


_CREATE_PARAMS = {
    "amount",
    "currency",
    "destination",
    "transfer_group",
    "source_transaction",
    "metadata",
    "description",
    "source_type",
    "expand",
}


def _validate_create(params: dict[str, Any]) -> dict[str, Any]:
    unknown_params(params, _CREATE_PARAMS)
    for name in ("amount", "currency", "destination"):
        if params.get(name) in (None, ""):
            raise missing_param(name)
    amount = as_int(params, "amount", positive=True)
    assert amount is not None
    currency = as_currency(params)
    assert currency is not None
    destination_id = as_str(params, "destination") or ""
    if not destination_id.startswith("acct_") or store.get("account:" + destination_id) is None:
        raise StripeApiError(
            400,
            f"No such destination: '{destination_id}'",
            code="resource_missing",
            param="destination",
        )
    destination = get_account(destination_id, "destination")
    if not destination.can_receive_transfers():
        raise StripeApiError(
            400,
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    source_transaction = as_str(params, "source_transaction")
    if source_transaction:
        charge = store.get("charge:" + source_transaction)
        if not isinstance(charge, Charge):
            raise no_such("charge", source_transaction, "source_transaction")
        if charge.status != "succeeded" or not charge.captured:
            raise invalid_param(
                "source_transaction",
                "The source_transaction must be a succeeded, captured charge "
                f"('{source_transaction}' is {charge.status}"
                f"{'' if charge.captured else ', not captured'}).",
                "parameter_invalid",
            )
        txn = settlement.charge_transaction(charge)
        settled_in = (txn.currency if txn is not None else charge.currency).lower()
        if settled_in != currency:
            raise invalid_param(
                "currency",
                f"The currency of source_transaction's balance transaction "
                f"({settled_in}) must be the same as the transfer currency ({currency}).",
            )
        left = transferable_from_charge(charge)
        if amount > left:
            raise StripeApiError(
                400,
                f"Insufficient funds on the source transaction: the transfer amount ({amount})"
                f" exceeds what remains of charge {charge.id} ({left}: amount minus refunds"
                " minus amounts already transferred from it).",
                code="balance_insufficient",
                param="amount",
            )
    elif platform_available().get(currency, 0) < amount:
        raise StripeApiError(
            400,
            "You have insufficient available funds in your Stripe account. Try adding funds "
            "directly to your available balance by creating Charges using the "
            "4000000000000077 test card.",
            code="balance_insufficient",
        )
    return {
        "amount": amount,
        "currency": currency,
        "destination": destination.id,
        "source_transaction": source_transaction or None,
        "transfer_group": as_str(params, "transfer_group") or None,
        "description": as_str(params, "description") or None,
        "metadata": merge_metadata({}, as_dict(params, "metadata")),
    }


async def create_transfer(request: web.Request) -> web.Response:
    params = await body_params(request)
    # Everything below is synchronous: validation, creation and the event happen atomically
    # with respect to other requests on the event loop.
    transfer = Transfer(**_validate_create(params))
    exported = transfer._export()
    events.emit("transfer.created", exported)
    return json_response(exported)


async def retrieve_transfer(request: web.Request) -> web.Response:
    return json_response(get_transfer(request.match_info["id"])._export())


async def update_transfer(request: web.Request) -> web.Response:
    transfer = get_transfer(request.match_info["id"])
    params = await body_params(request)
    unknown_params(params, {"description", "metadata", "expand"})
    if "description" in params:
        transfer.description = as_str(params, "description") or None
    transfer.metadata = merge_metadata(transfer.metadata, as_dict(params, "metadata"))
    exported = transfer._export()
    events.emit("transfer.updated", exported)
    return json_response(exported)


async def list_transfers(request: web.Request) -> web.Response:
    return filtered_list_response(
        "/v1/transfers",
        all_transfers(),
        query_params(request),
        ("destination", "transfer_group"),
        allowed=("expand",),
    )


async def create_reversal(request: web.Request) -> web.Response:
    transfer = get_transfer(request.match_info["id"])
    params = await body_params(request)
    unknown_params(
        params, {"amount", "description", "metadata", "refund_application_fee", "expand"}
    )
    amount = as_int(params, "amount", positive=True)
    if amount is None:
        amount = transfer.remaining
    if transfer.remaining <= 0:
        raise StripeApiError(
            400,
            f"Transfer {transfer.id} has already been fully reversed.",
            code="parameter_invalid",
            param="amount",
        )
    if amount > transfer.remaining:
        raise invalid_param(
            "amount",
            f"Amount requested ({amount}) exceeds the amount available on the transfer "
            f"({transfer.remaining}).",
            "amount_too_large",
        )
    reversal = TransferReversal(
        transfer,
        amount,
        as_str(params, "description"),
        merge_metadata({}, as_dict(params, "metadata")),
    )
    transfer.amount_reversed += amount
    store["transfer:" + transfer.id] = transfer  # persist the mutation
    events.emit("transfer.reversed", transfer._export())
    return json_response(reversal._export())


def _get_reversal(transfer: Transfer, reversal_id: str) -> TransferReversal:
    obj = store.get("transfer_reversal:" + reversal_id)
    if not isinstance(obj, TransferReversal) or obj.transfer != transfer.id:
        raise no_such("transfer_reversal", reversal_id, "id")
    return obj


async def list_reversals(request: web.Request) -> web.Response:
    transfer = get_transfer(request.match_info["id"])
    params = query_params(request)
    return list_response(f"/v1/transfers/{transfer.id}/reversals", transfer.reversals(), params)


async def retrieve_reversal(request: web.Request) -> web.Response:
    transfer = get_transfer(request.match_info["id"])
    return json_response(_get_reversal(transfer, request.match_info["reversal"])._export())


async def update_reversal(request: web.Request) -> web.Response:
    transfer = get_transfer(request.match_info["id"])
    reversal = _get_reversal(transfer, request.match_info["reversal"])
    params = await body_params(request)
    unknown_params(params, {"metadata", "expand"})
    reversal.metadata = merge_metadata(reversal.metadata, as_dict(params, "metadata"))
    return json_response(reversal._export())


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/v1/transfers", create_transfer)
    router.add_get("/v1/transfers", list_transfers)
    router.add_get("/v1/transfers/{id}", retrieve_transfer)
    router.add_post("/v1/transfers/{id}", update_transfer)
    router.add_post("/v1/transfers/{id}/reversals", create_reversal)
    router.add_get("/v1/transfers/{id}/reversals", list_reversals)
    router.add_get("/v1/transfers/{id}/reversals/{reversal}", retrieve_reversal)
    router.add_post("/v1/transfers/{id}/reversals/{reversal}", update_reversal)

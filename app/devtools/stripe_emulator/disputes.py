"""Chargebacks (disputes), which localstripe does not have.

As on Stripe (docs.stripe.com/testing#disputes, docs.stripe.com/api/disputes):
- paying with ``pm_card_createDispute`` (card 4000 0000 0000 0259) succeeds, then a dispute
  (reason ``fraudulent``, status ``needs_response``) opens on the charge; for tests that need
  the dispute at a chosen moment, ``POST /_config/charges/{charge}/dispute`` opens one now;
- opening withdraws the disputed amount plus the dispute fee from the platform balance (a
  balance transaction of type ``adjustment``, reporting category ``dispute``) and sends
  ``charge.dispute.created`` then ``charge.dispute.funds_withdrawn``; the charge shows
  ``disputed: true`` and can no longer be refunded (``charge_disputed``, see strict.py);
- ``POST /v1/disputes/{id}`` stores evidence and metadata; ``submit`` (default true) moves the
  dispute to ``under_review``; ``charge.dispute.updated`` is sent. Evidence
  ``uncategorized_text`` = ``winning_evidence`` / ``losing_evidence`` closes it won / lost, like
  Stripe's test mode;
- ``POST /v1/disputes/{id}/close`` accepts the dispute (lost);
- ``POST /_config/disputes/{id}/close`` with ``outcome`` = won|lost is the test helper;
- won: the disputed amount comes back (``charge.dispute.funds_reinstated``); the dispute fee
  does not (Stripe keeps it); every close sends ``charge.dispute.closed``.

The dispute fee is fixed per currency (``DISPUTE_FEE_MINOR``), Stripe's published fee for the
main currencies of our platform (USD 15.00, EUR 20.00, GBP 20.00).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from localstripe.resources import Charge, StripeObject, store

from . import events, state
from .errors import StripeApiError, invalid_param, no_such, unknown_params
from .fixtures import fixture
from .params import (
    as_bool,
    as_dict,
    as_str,
    body_params,
    filtered_list_response,
    merge_metadata,
    query_params,
)
from .responses import json_response

DISPUTE_CARD = "4000000000000259"
DISPUTE_FEE_MINOR = {"usd": 1500, "eur": 2000, "gbp": 2000}
DEFAULT_DISPUTE_FEE_MINOR = 1500
OPEN = ("needs_response", "under_review")
EVIDENCE_DAYS = 21
_EVIDENCE_FIELDS = set(fixture("dispute")["evidence"]) - {"enhanced_evidence"}


class Dispute(StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Any, reason: str = "fraudulent") -> None:
        super().__init__()
        self.charge = charge.id
        self.payment_intent = getattr(charge, "payment_intent", None)
        self.amount = int(charge.amount) - int(charge.amount_refunded)
        self.currency = charge.currency.lower()
        self.reason = reason
        self.status = "needs_response"
        self.evidence: dict[str, Any] = {}
        self.submission_count = 0
        self.metadata: dict[str, str] = {}
        self.due_by = int(time.time()) + EVIDENCE_DAYS * 86400
        self.balance_transactions: list[str] = []

    @property
    def fee(self) -> int:
        return DISPUTE_FEE_MINOR.get(self.currency, DEFAULT_DISPUTE_FEE_MINOR)

    def _export(self, expand: Any = None) -> dict[str, Any]:
        obj = fixture("dispute")
        evidence = obj["evidence"]
        evidence.update(self.evidence)
        txns = [store.get("balance_transaction:" + t) for t in self.balance_transactions]
        obj.update(
            id=self.id,
            amount=self.amount,
            charge=self.charge,
            payment_intent=self.payment_intent,
            created=self.created,
            currency=self.currency,
            reason=self.reason,
            status=self.status,
            metadata=dict(self.metadata),
            is_charge_refundable=False,
            balance_transactions=[t._export() for t in txns if t is not None],
        )
        obj["payment_method_details"]["card"]["case_type"] = "chargeback"
        obj["evidence_details"].update(
            due_by=self.due_by,
            has_evidence=bool(self.evidence),
            past_due=False,
            submission_count=self.submission_count,
        )
        return obj


def disputes_of(charge_id: str) -> list[Dispute]:
    found = [v for v in state.objects("dispute") if v.charge == charge_id]
    return sorted(found, key=lambda d: (d.created, d.id), reverse=True)


def blocks_refund(charge_id: str) -> str | None:
    """Why a refund of ``charge_id`` is refused (an open or lost chargeback), or None."""
    for dispute in disputes_of(charge_id):
        if dispute.status in (*OPEN, "lost"):
            return f"Charge {charge_id} has been charged back; cannot issue a refund."
    return None


def _book(dispute: Dispute, amount: int, fee: int, description: str) -> None:
    from .transfers import LedgerTransaction

    txn = LedgerTransaction(amount, dispute.currency, dispute.id, "adjustment")
    txn.reporting_category = "dispute" if amount < 0 else "dispute_reversal"
    txn.description = description  # type: ignore[assignment]
    if fee:
        txn.fee = fee
        txn.fee_details = [
            {
                "amount": fee,
                "application": None,
                "currency": dispute.currency,
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ]
    store["balance_transaction:" + txn.id] = txn
    dispute.balance_transactions.append(txn.id)


def open_dispute(charge: Charge, reason: str = "fraudulent") -> Dispute:
    """Open a chargeback on a succeeded charge: funds withdrawn, events sent."""
    if charge.status != "succeeded" or not charge.captured:
        raise invalid_param("charge", f"Charge {charge.id} has not succeeded.")
    if any(d.status in OPEN for d in disputes_of(charge.id)):
        raise StripeApiError(400, f"Charge {charge.id} already has an open dispute.")
    dispute = Dispute(charge, reason)
    if dispute.amount <= 0:
        raise invalid_param("charge", f"Charge {charge.id} is fully refunded.")
    charge.disputed = True
    store["charge:" + charge.id] = charge
    _book(dispute, -dispute.amount, dispute.fee, f"Chargeback withdrawal for {charge.id}")
    _save(dispute)
    exported = dispute._export()
    events.emit("charge.dispute.created", exported)
    events.emit("charge.dispute.funds_withdrawn", exported)
    return dispute


def close(dispute: Dispute, outcome: str) -> Dispute:
    if dispute.status not in OPEN:
        raise StripeApiError(
            400,
            f"Dispute {dispute.id} is already closed ({dispute.status}).",
            code="dispute_closed",
        )
    dispute.status = outcome
    if outcome == "won":
        _book(dispute, dispute.amount, 0, f"Chargeback reversal for {dispute.charge}")
    _save(dispute)
    exported = dispute._export()
    events.emit("charge.dispute.closed", exported)
    if outcome == "won":
        events.emit("charge.dispute.funds_reinstated", exported)
    return dispute


def _save(dispute: Dispute) -> None:
    store["dispute:" + dispute.id] = dispute


def get_dispute(dispute_id: str) -> Dispute:
    obj = store.get("dispute:" + dispute_id)
    if not isinstance(obj, Dispute):
        raise no_such("dispute", dispute_id, "id")
    return obj


def open_later(charge: Charge, delay: float = 1.0) -> None:
    """The test card's dispute arrives shortly after the payment succeeded, as on Stripe."""

    async def later() -> None:
        await asyncio.sleep(delay)
        open_dispute(charge)
        state.save_if_changed()  # outside any request: persist it now

    asyncio.ensure_future(later())


async def retrieve(request: web.Request) -> web.Response:
    return json_response(get_dispute(request.match_info["id"])._export())


async def list_all(request: web.Request) -> web.Response:
    found = sorted(
        state.objects("dispute"),
        key=lambda d: (d.created, d.id),
        reverse=True,
    )
    filters = ("charge", "payment_intent")
    return filtered_list_response("/v1/disputes", found, query_params(request), filters)


async def update(request: web.Request) -> web.Response:
    dispute = get_dispute(request.match_info["id"])
    params = await body_params(request)
    unknown_params(params, {"evidence", "metadata", "submit", "expand"})
    evidence = as_dict(params, "evidence") or {}
    for name, value in evidence.items():
        if name not in _EVIDENCE_FIELDS:
            raise StripeApiError(
                400,
                f"Received unknown parameter: evidence[{name}]",
                code="parameter_unknown",
                param=f"evidence[{name}]",
            )
        if not isinstance(value, str):
            raise invalid_param(f"evidence[{name}]", f"Invalid string: {value!r}")
    if dispute.status not in OPEN:
        raise StripeApiError(
            400,
            f"This dispute is already closed ({dispute.status}); evidence can no longer be "
            "submitted.",
            code="dispute_closed",
        )
    submit = as_bool(params, "submit")
    dispute.evidence.update(evidence)
    dispute.metadata = merge_metadata(dispute.metadata, as_dict(params, "metadata"))
    if submit is not False and evidence:
        dispute.submission_count += 1
        dispute.status = "under_review"
    _save(dispute)
    events.emit("charge.dispute.updated", dispute._export())
    verdict = {"winning_evidence": "won", "losing_evidence": "lost"}.get(
        str(evidence.get("uncategorized_text"))
    )
    if verdict and submit is not False:
        close(dispute, verdict)
    return json_response(dispute._export())


async def accept(request: web.Request) -> web.Response:
    return json_response(close(get_dispute(request.match_info["id"]), "lost")._export())


async def config_open(request: web.Request) -> web.Response:
    charge = store.get("charge:" + request.match_info["charge"])
    if not isinstance(charge, Charge):
        raise no_such("charge", request.match_info["charge"], "id")
    params = await body_params(request)
    return json_response(open_dispute(charge, as_str(params, "reason") or "fraudulent")._export())


async def config_close(request: web.Request) -> web.Response:
    params = await body_params(request)
    outcome = as_str(params, "outcome")
    if outcome not in ("won", "lost"):
        raise invalid_param("outcome", "outcome must be won or lost")
    return json_response(close(get_dispute(request.match_info["id"]), outcome)._export())


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/v1/disputes", list_all)
    router.add_get("/v1/disputes/{id}", retrieve)
    router.add_post("/v1/disputes/{id}", update)
    router.add_post("/v1/disputes/{id}/close", accept)
    router.add_post("/_config/charges/{charge}/dispute", config_open)
    router.add_post("/_config/disputes/{id}/close", config_close)

"""OpenAPI 3.1 description of the contracts, milestones and earnings endpoints.

Merged by ``app.api.openapi``; keep in step with ``app.payments.api`` (a fuzzer checks every
response against these schemas).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api import MAX_PAGE
from app.api.openapi import id_param as _id_param
from app.api.openapi import problems
from app.api.openapi import query_param as _query
from app.api.openapi import ref as _ref
from app.contracts.models import ContractStatus
from app.payments.delivery import MAX_MESSAGE
from app.payments.models import MilestoneState

PROBLEM = {"$ref": "#/components/schemas/Problem"}

_PROBLEM_TEXT = {
    400: "Malformed request (body not a JSON object, bad page parameters)",
    401: "Missing, invalid or revoked API token",
    402: "The card was declined; the milestone stays pending and can be paid again",
    403: "Wrong role for this endpoint, or not the party who may do this",
    404: "No such contract or milestone, or the caller is not one of its parties",
    409: "Conflict with the milestone's state (e.g. not pending, not delivered, revision limit)",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
    502: "The payment provider (Stripe) refused the request or could not be reached",
}
_problems = partial(problems, _PROBLEM_TEXT)


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def _body(schema: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(schema)}}}


# How an integrator pays any purchase whose endpoint returns client_secret + publishable_key.
STRIPE_JS_CONFIRM = """Card details never reach this API: confirm the PaymentIntent in the browser
with Stripe.js (3-D Secure included), then tell us (or wait for Stripe's webhook):

```js
// <script src="https://js.stripe.com/v3/"></script>
const stripe = Stripe(body.publishable_key);
const card = stripe.elements().create('card');
card.mount('#card-element');
const {paymentIntent, error} = await stripe.confirmCardPayment(body.client_secret, {
  payment_method: {card},
});
if (error) {
  showError(error.message);  // declined, or 3-D Secure failed: try another card
} else {
  await fetch(`/api/v1/payments/${paymentIntent.id}/sync`, {
    method: 'POST', headers: {Authorization: `Bearer ${token}`},
  });  // -> {"paid": true, ...}; the payment_intent.succeeded webhook does the same
}
```

Calling the endpoint again returns the same PaymentIntent (never a second charge)."""


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    tag: str = "contracts",
    description: str | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = body
    return operation


PAGE_PARAMS = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page."),
]
MILESTONE = [_id_param("milestone_id")]

PATHS: dict[str, Any] = {
    "/contracts": {
        "get": _op(
            "Your contracts, as business or creator, newest first",
            {**_ok(_ref("ContractPage")), **_problems(400, 401, 422)},
            params=PAGE_PARAMS,
        )
    },
    "/contracts/{contract_id}": {
        "get": _op(
            "One of your contracts (its two parties only)",
            {**_ok(_ref("Contract")), **_problems(401, 404)},
            params=[_id_param("contract_id")],
        )
    },
    "/contracts/{contract_id}/milestones": {
        "get": _op(
            "The contract's milestones, in order (its two parties only)",
            {**_ok(_ref("MilestoneList")), **_problems(401, 404)},
            params=[_id_param("contract_id")],
        )
    },
    "/milestones/{milestone_id}/fund": {
        "post": _op(
            "Start (or resume) paying a pending milestone (the contract's business). Returns "
            "the PaymentIntent to confirm with Stripe.js.",
            {
                **_ok(_ref("FundingIntent"), "The milestone's PaymentIntent"),
                **_problems(400, 401, 403, 404, 409, 415, 422, 502),
            },
            params=MILESTONE,
            body=_body("FundInput", required=False),
            tag="milestones",
            description=STRIPE_JS_CONFIRM,
        )
    },
    "/payments/{payment_intent_id}/sync": {
        "post": _op(
            "After confirming with Stripe.js: apply the PaymentIntent to its purchase "
            "(milestone, licence or contest prize) now and say whether it is paid. "
            "Idempotent, like the webhook that does the same.",
            {
                **_ok(_ref("PaymentSync")),
                **_problems(401, 404, 409, 502),
            },
            params=[
                {
                    "name": "payment_intent_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The PaymentIntent id from the purchase endpoint.",
                }
            ],
            tag="milestones",
            description=STRIPE_JS_CONFIRM,
        )
    },
    "/milestones/{milestone_id}/deliver": {
        "post": _op(
            "Deliver work for review (the contract's creator; funded or changes requested)",
            {
                **_ok(_ref("Milestone")),
                **_problems(400, 401, 403, 404, 409, 415, 422),
            },
            params=MILESTONE,
            body=_body("DeliverInput"),
            tag="milestones",
        )
    },
    "/milestones/{milestone_id}/accept": {
        "post": _op(
            "Accept a delivery and release the payment to the creator (the contract's business)",
            {**_ok(_ref("Milestone")), **_problems(401, 403, 404, 409)},
            params=MILESTONE,
            tag="milestones",
        )
    },
    "/milestones/{milestone_id}/request-changes": {
        "post": _op(
            "Ask for a revision of a delivery (the contract's business; limited revisions)",
            {
                **_ok(_ref("Milestone")),
                **_problems(400, 401, 403, 404, 409, 415, 422),
            },
            params=MILESTONE,
            body=_body("ChangesInput"),
            tag="milestones",
        )
    },
    "/earnings": {
        "get": _op(
            "Your earnings as a creator: per-currency balances, clearing payments, fee terms",
            {**_ok(_ref("Earnings")), **_problems(401, 403)},
            tag="earnings",
        )
    },
}

INT = {"type": "integer"}
STRING = {"type": "string"}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_STRING = {"type": ["string", "null"]}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
AMOUNTS = {
    "type": "object",
    "description": "Minor units per ISO currency code.",
    "additionalProperties": {"type": "integer"},
}
PARTY = {
    "type": "object",
    "required": ["id", "display_name"],
    "properties": {"id": INT, "display_name": STRING},
}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties, **extra}


def _input(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


SCHEMAS: dict[str, Any] = {
    "Contract": _object(
        {
            "id": INT,
            "title": STRING,
            "scope": STRING,
            "status": {"type": "string", "enum": [s.value for s in ContractStatus]},
            "role": {
                "type": "string",
                "enum": ["business", "creator"],
                "description": "The caller's side of the contract.",
            },
            "business": PARTY,
            "creator": PARTY,
            "total_minor": INT,
            "currency": STRING,
            "delivery_days": INT,
            "brief_id": NULLABLE_INT,
            "proposal_id": NULLABLE_INT,
            "offer_id": NULLABLE_INT,
            "package_tier": NULLABLE_STRING,
            "created_at": TIMESTAMP,
        }
    ),
    "ContractPage": _object(
        {
            "items": {"type": "array", "items": _ref("Contract")},
            "page": INT,
            "per_page": INT,
            "total": INT,
        }
    ),
    "Milestone": _object(
        {
            "id": INT,
            "contract_id": INT,
            "position": INT,
            "title": STRING,
            "amount_minor": INT,
            "currency": STRING,
            "due_date": {"type": ["string", "null"], "format": "date"},
            "state": {"type": "string", "enum": [s.value for s in MilestoneState]},
            "revisions_used": INT,
            "max_revisions": INT,
            "funded_minor": INT,
            "released_minor": INT,
            "refunded_minor": INT,
            "fee_minor": INT,
            "delivery_message": STRING,
            "delivery_files": {
                "type": "array",
                "items": STRING,
                "description": "Original names of the files of the latest delivery.",
            },
            "funded_at": NULLABLE_TIMESTAMP,
            "delivered_at": NULLABLE_TIMESTAMP,
            "review_due_at": NULLABLE_TIMESTAMP,
            "released_at": NULLABLE_TIMESTAMP,
            "clears_at": NULLABLE_TIMESTAMP,
            "paid_out_at": NULLABLE_TIMESTAMP,
        }
    ),
    "MilestoneList": _object({"items": {"type": "array", "items": _ref("Milestone")}}),
    "FundingIntent": _object(
        {
            "milestone_id": INT,
            "payment_intent_id": STRING,
            "client_secret": {
                "type": ["string", "null"],
                "description": "For stripe.confirmCardPayment / the Payment Element.",
            },
            "publishable_key": STRING,
            "amount_minor": INT,
            "currency": STRING,
        }
    ),
    "FundInput": _input({}, []),
    "PaymentSync": _object(
        {
            "payment_intent_id": STRING,
            "paid": {"type": "boolean"},
            "message": {
                "type": "string",
                "description": "What the buyer is told (a decline or 3-D Secure failure says "
                "so; nothing was charged then).",
            },
        }
    ),
    "DeliverInput": _input(
        {
            "message": {
                "type": "string",
                "maxLength": MAX_MESSAGE,
                "pattern": r"\S",
                "description": "What is delivered (files are uploaded on the web page); not blank.",
            }
        },
        ["message"],
    ),
    "ChangesInput": _input(
        {
            "note": {
                "type": "string",
                "minLength": 1,
                "pattern": r"\S",
                "description": "What should change; not blank (stored up to 2000 characters).",
            }
        },
        ["note"],
    ),
    "Earnings": _object(
        {
            "creator_id": INT,
            "pending": {**AMOUNTS, "description": "Released, waiting for the clearance hold."},
            "paid": {**AMOUNTS, "description": "Transferred to the creator's Stripe account."},
            "in_escrow": {**AMOUNTS, "description": "Funded, not released yet."},
            "clearing": {
                "type": "array",
                "items": _object(
                    {
                        "kind": {
                            "type": "string",
                            "enum": ["milestone", "media_license", "contest_award"],
                            "description": "What was sold: a milestone, a licence, a prize.",
                        },
                        "subject_id": INT,
                        "milestone_id": NULLABLE_INT,
                        "title": STRING,
                        "net_minor": INT,
                        "currency": STRING,
                        "clears_at": NULLABLE_TIMESTAMP,
                        "waiting_because": NULLABLE_STRING,
                    }
                ),
            },
            "terms": _object(
                {
                    "score": {"type": "number", "minimum": 0, "maximum": 1},
                    "fee_bp": INT,
                    "fee_percent": STRING,
                    "hold_hours": INT,
                    "hold_days": {"type": "number"},
                    "formula": STRING,
                }
            ),
            "payouts_ready": {"type": "boolean"},
        }
    ),
}

"""OpenAPI description of the influencer campaign endpoints (merged by app.api.openapi)."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api.openapi import id_param, problems, ref
from app.campaigns.models import CampaignState, ViolationKind
from app.api.openapi import body, ok, op
from app.offers.models import Platform

TEXT = {
    400: "Malformed request (body not a JSON object)",
    401: "Missing, invalid or revoked API token",
    403: "Wrong role, or not the side of the campaign who may do this",
    404: "No such offer, contract or campaign, or the caller is not a party",
    409: "Illegal in the campaign's state, or the milestone is not funded",
    415: "The body is not application/json",
    422: "Invalid input (e.g. caption without a sponsorship disclosure, URL off-platform)",
    502: "The payment provider refused the request or could not be reached",
}
_problems = partial(problems, TEXT)
CAMPAIGN = [id_param("campaign_id")]
STR, INT = {"type": "string"}, {"type": "integer"}
NSTR = {"type": ["string", "null"]}
NTIME = {"type": ["string", "null"], "format": "date-time"}


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": props,
    }


def _action(summary: str, body_name: str | None = None, *codes: int) -> dict[str, Any]:
    extra: dict[str, Any] = {"parameters": CAMPAIGN}
    if body_name:
        extra["requestBody"] = body(body_name)
    return {"post": op(summary, {**ok(ref("Campaign")), **_problems(*codes)}, "campaigns", **extra)}


PATHS: dict[str, Any] = {
    "/offers/{offer_id}/campaigns": {
        "post": op(
            "Order deliverables of a published influencer offer (business): contract + campaign",
            {**ok(ref("Campaign"), "201"), **_problems(400, 401, 403, 404, 409, 415, 422)},
            "campaigns",
            parameters=[id_param("offer_id")],
            requestBody=body("CampaignOrder"),
        )
    },
    "/contracts/{contract_id}/campaign": {
        "post": op(
            "Run a campaign on a contract from an accepted proposal (its business)",
            {**ok(ref("Campaign"), "201"), **_problems(400, 401, 403, 404, 409, 415, 422)},
            "campaigns",
            parameters=[id_param("contract_id")],
            requestBody=body("CampaignStart"),
        )
    },
    "/campaigns": {
        "get": op(
            "Your campaigns, as business or creator",
            {
                **ok(
                    {
                        "type": "object",
                        "required": ["items"],
                        "properties": {"items": {"type": "array", "items": ref("Campaign")}},
                    }
                ),
                **_problems(401),
            },
            "campaigns",
        )
    },
    "/campaigns/{campaign_id}": {
        "get": op(
            "One campaign (its parties and moderators)",
            {**ok(ref("Campaign")), **_problems(401, 404)},
            "campaigns",
            parameters=CAMPAIGN,
        )
    },
    "/campaigns/{campaign_id}/draft": _action(
        "Submit the draft content and caption (creator; milestone funded)",
        "CampaignDraft",
        400,
        401,
        403,
        404,
        409,
        415,
        422,
    ),
    "/campaigns/{campaign_id}/request-changes": _action(
        "Ask for changes to the draft (business)", "CampaignNote", 400, 401, 403, 404, 409, 415, 422
    ),
    "/campaigns/{campaign_id}/approve": _action(
        "Approve the draft (business); refused (422) without a sponsorship disclosure",
        None,
        401,
        403,
        404,
        409,
        422,
    ),
    "/campaigns/{campaign_id}/post": _action(
        "Report the live post URL and caption (creator); delivers the milestone, starts the "
        "confirmation window; posting early or a changed caption is recorded as a violation",
        "CampaignPost",
        400,
        401,
        403,
        404,
        409,
        415,
        422,
    ),
    "/campaigns/{campaign_id}/confirm": _action(
        "Confirm the live post (business): the milestone is released through the hold",
        None,
        401,
        403,
        404,
        409,
        502,
    ),
    "/campaigns/{campaign_id}/violations": {
        "post": op(
            "Record a violation seen by the business (grounds for a dispute)",
            {**ok(ref("Campaign"), "201"), **_problems(400, 401, 403, 404, 409, 415, 422)},
            "campaigns",
            parameters=CAMPAIGN,
            requestBody=body("CampaignViolationInput"),
        )
    },
}

VIOLATION = {
    "type": "object",
    "required": ["id", "kind", "detail", "reported_by_id", "created_at"],
    "properties": {
        "id": INT,
        "kind": {"type": "string", "enum": [k.value for k in ViolationKind]},
        "detail": STR,
        "reported_by_id": {"type": ["integer", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
SCHEMAS: dict[str, Any] = {
    "CampaignOrder": _obj(
        {"deliverables": {"type": "array", "minItems": 1, "maxItems": 50, "items": STR}},
        ["deliverables"],
    ),
    "CampaignStart": _obj(
        {"platform": {"type": "string", "enum": [p.value for p in Platform]}}, ["platform"]
    ),
    "CampaignDraft": _obj(
        {
            "text": {"type": "string", "maxLength": 5000},
            "caption": {"type": "string", "minLength": 1, "maxLength": 5000},
            "file": {"type": "string", "maxLength": 255},
        },
        ["caption"],
    ),
    "CampaignNote": _obj({"note": {"type": "string", "minLength": 1, "maxLength": 2000}}, ["note"]),
    "CampaignPost": _obj(
        {
            "post_url": {"type": "string", "maxLength": 500},
            "caption": {"type": "string", "minLength": 1, "maxLength": 5000},
        },
        ["post_url", "caption"],
    ),
    "CampaignViolationInput": _obj(
        {
            "kind": {"type": "string", "enum": [k.value for k in ViolationKind]},
            "detail": {"type": "string", "minLength": 1, "maxLength": 2000},
        },
        ["kind", "detail"],
    ),
    "Campaign": {
        "type": "object",
        "required": [
            "id",
            "contract_id",
            "milestone_id",
            "business_id",
            "creator_id",
            "state",
            "platform",
            "violations",
            "disclosures",
        ],
        "properties": {
            "id": INT,
            "contract_id": INT,
            "milestone_id": INT,
            "business_id": INT,
            "creator_id": INT,
            "offer_id": {"type": ["integer", "null"]},
            "platform": {"type": "string", "enum": [p.value for p in Platform]},
            "deliverables": {"type": "array", "items": STR},
            "state": {"type": "string", "enum": [s.value for s in CampaignState]},
            "draft_text": STR,
            "draft_file": NSTR,
            "draft_caption": STR,
            "approved_caption": NSTR,
            "change_note": STR,
            "post_url": NSTR,
            "live_caption": NSTR,
            "confirm_due_at": NTIME,
            "completed_at": NTIME,
            "disclosures": {"type": "array", "items": STR},
            "violations": {"type": "array", "items": VIOLATION},
        },
    },
}

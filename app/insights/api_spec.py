"""OpenAPI description of the demand insights endpoint (merged by app.api.openapi)."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api.openapi import problems, ref
from app.negotiation.api_spec import ok, op

_problems = partial(
    problems,
    {401: "Missing, invalid or revoked API token", 403: "This endpoint is for creator accounts"},
)
INT = {"type": "integer"}
COUNTS = {"type": "object", "additionalProperties": INT}

PATHS: dict[str, Any] = {
    "/insights": {
        "get": op(
            "Demand insights for the calling creator: new briefs per week by category, skills "
            "and budgets of open briefs, and views/shortlists/hires of the creator's offers",
            {**ok(ref("Insights")), **_problems(401, 403)},
            "insights",
        )
    }
}
SCHEMAS: dict[str, Any] = {
    "Insights": {
        "type": "object",
        "required": [
            "weeks",
            "briefs_by_category",
            "open_by_category",
            "top_skills",
            "budget_ranges",
            "views_by_week",
            "offers",
            "funnel",
        ],
        "properties": {
            "weeks": {"type": "array", "items": {"type": "string", "format": "date"}},
            "briefs_by_category": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": INT},
            },
            "open_by_category": COUNTS,
            "top_skills": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["skill", "briefs"],
                    "properties": {"skill": {"type": "string"}, "briefs": INT},
                },
            },
            "budget_ranges": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["range", "briefs"],
                    "properties": {"range": {"type": "string"}, "briefs": INT},
                },
            },
            "views_by_week": {"type": "array", "items": INT},
            "offers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["offer_id", "title", "views", "hires"],
                    "properties": {
                        "offer_id": INT,
                        "title": {"type": "string"},
                        "views": INT,
                        "hires": INT,
                    },
                },
            },
            "funnel": {
                "type": "object",
                "required": ["viewed", "shortlisted", "hired"],
                "properties": {"viewed": INT, "shortlisted": INT, "hired": INT},
            },
        },
    }
}

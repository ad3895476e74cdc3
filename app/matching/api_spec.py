"""OpenAPI description of the matching endpoints."""

from typing import Any

from app.api.openapi import problem_response

_WHY = {"type": "string", "description": "Where the suggestion comes from"}
_SUGGESTION = {
    "type": "object",
    "required": ["value", "why"],
    "properties": {"value": {"type": "string"}, "why": _WHY},
}


def _range(prefix: str, suffix: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        f"{name}{suffix}": {"type": "integer"} for name in ("low", "typical", "high")
    }
    if prefix:
        props["currency"] = {"type": "string"}
    props |= {
        "data_points": {"type": "integer", "minimum": 0},
        "source": {"type": "string", "enum": ["contracts", "offers"]},
        "why": _WHY,
    }
    return {"type": ["object", "null"], "properties": props}


PATHS: dict[str, Any] = {
    "/brief-assistant": {
        "post": {
            "summary": "Suggestions for a brief being written: skills, category, budget, delivery",
            "description": "Skills and category used by similar offers and briefs; a budget "
            "range from agreed prices of similar past work in the brief's currency (at least "
            "3 data points, else the similar offers' starting prices); typical delivery time; "
            "how many available creators match well. Each with an explanation; nothing is "
            "saved.",
            "tags": ["matching"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/DraftBrief"}}
                },
            },
            "responses": {
                "200": {
                    "description": "Suggestions",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/BriefAssistance"}
                        }
                    },
                },
                "400": problem_response("Body is not a JSON object"),
                "401": problem_response("Missing or invalid token"),
                "403": problem_response("Not a business account"),
                "415": problem_response("Not JSON"),
                "422": problem_response("Too little text, or fields of the wrong type"),
                "503": problem_response("Matching is switched off"),
            },
        }
    },
    "/briefs/{brief_id}/matches": {
        "get": {
            "summary": "Creators ranked for one of your briefs, with scores and reasons",
            "tags": ["matching"],
            "parameters": [
                {"name": "brief_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                },
            ],
            "responses": {
                "200": {
                    "description": "Ranked creators, best first",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/BriefMatches"}
                        }
                    },
                },
                "400": problem_response("Invalid limit"),
                "401": problem_response("Missing or invalid token"),
                "403": problem_response("Not a business account"),
                "404": problem_response("No such brief, or not yours"),
                "503": problem_response("Matching is switched off"),
            },
        }
    },
}

SCHEMAS: dict[str, Any] = {
    "DraftBrief": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 120},
            "description": {"type": "string", "maxLength": 5000},
            "skills": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
            "category": {"type": "string"},
            "currency": {"type": "string", "enum": ["USD", "EUR", "GBP"], "default": "USD"},
            "offer_kinds": {"type": "array", "items": {"type": "string"}},
        },
    },
    "BriefAssistance": {
        "type": "object",
        "required": ["skills", "category", "budget", "delivery_days", "matching_creators"],
        "properties": {
            "skills": {"type": "array", "items": _SUGGESTION},
            "category": {**_SUGGESTION, "type": ["object", "null"]},
            "budget": _range("currency", "_minor"),
            "delivery_days": _range("", ""),
            "matching_creators": {
                "type": "object",
                "properties": {"count": {"type": "integer", "minimum": 0}, "why": _WHY},
            },
            "similar_offers": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "array", "items": {"type": "string"}},
        },
    },
    "BriefMatches": {
        "type": "object",
        "required": ["brief_id", "matches"],
        "properties": {
            "brief_id": {"type": "integer"},
            "matches": {"type": "array", "items": {"$ref": "#/components/schemas/CreatorMatch"}},
        },
    },
    "CreatorMatch": {
        "type": "object",
        "required": ["rank", "creator", "score", "offer", "matched_terms", "reasons"],
        "properties": {
            "rank": {"type": "integer", "minimum": 1},
            "creator": {
                "type": "object",
                "required": ["id", "display_name"],
                "properties": {"id": {"type": "integer"}, "display_name": {"type": "string"}},
            },
            "score": {"type": "number"},
            "relevance": {"type": "number"},
            "components": {"type": "object", "additionalProperties": {"type": "number"}},
            "offer": {
                "type": "object",
                "required": ["id", "title", "kind"],
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "kind": {"type": "string", "enum": ["service", "stock_media", "influencer"]},
                    "price_from_minor": {"type": ["integer", "null"]},
                    "currency": {"type": "string"},
                    "delivery_days_min": {"type": ["integer", "null"]},
                },
            },
            "matched_terms": {"type": "array", "items": {"type": "string"}},
            "matched_skills": {"type": "array", "items": {"type": "string"}},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "explored": {"type": "boolean"},
            "invited": {"type": "boolean"},
        },
    },
}

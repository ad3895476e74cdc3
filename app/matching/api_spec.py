"""OpenAPI description of the matching endpoint."""

from typing import Any

from app.api.openapi import problem_response

PATHS: dict[str, Any] = {
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
    }
}

SCHEMAS: dict[str, Any] = {
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

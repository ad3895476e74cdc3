"""API writes on someone else's objects, with well-formed JSON bodies: refused, nothing changed.

Extends tests/test_access_control.py (same world of other people's objects, same route
sweep), whose API pass sends empty ``{}`` bodies: those may be refused by body validation
before ownership is ever checked. Here every write operation of the OpenAPI document that
names an object in its path gets bodies generated from its own request schema (positive
data, so they get past parsing), sent by an intruder holding both roles and by nobody; every
column of every table must stay as it was (counts alone would miss an update).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from app.api.openapi import build_spec
from tests.factories import api_token, make_creator
from tests.security.snapshot import database_snapshot
from tests.test_access_control import _world

# Writes whose purpose is to act on another person's *public* object (the world's brief is
# open and public, its contest funded and open): a creator proposing on a business's brief,
# or entering its contest.
CROSS_USER_WRITES = {
    ("POST", "/briefs/{brief_id}/proposals"),
    ("POST", "/contests/{contest_id}/entries"),
}
REFUSED = {401, 403, 404, 409, 422}
EXAMPLES = 4

WRITES = [
    (method.upper(), path)
    for path, item in build_spec()["paths"].items()
    for method in item
    if method in {"post", "put", "patch", "delete"}
    and "{" in path
    and (method.upper(), path) not in CROSS_USER_WRITES
]


def test_wellformed_writes_by_others_are_refused_and_change_nothing(
    app, client, session, gateway, storage
):
    """One world of other people's objects of every kind, every write tried on it in turn."""
    ids = _world(session, gateway, storage)
    intruder = make_creator(session)
    intruder.is_business = True
    callers = {"intruder": api_token(session, intruder), "anonymous": {}}
    session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    before = database_snapshot(session)
    for method, path in WRITES:
        seen = _try_write(schema, client, callers, ids, method, path)
        session.expire_all()
        assert database_snapshot(session) == before, (method, path, seen)


def _try_write(
    schema: Any, client: Any, callers: dict[str, Any], ids: dict[str, Any], method: str, path: str
) -> list[tuple[str, int]]:
    """Send generated, well-formed bodies for one write as the intruder and as nobody."""
    operation = schema[path][method.lower()]
    fixed = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
    seen: list[tuple[str, int]] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    def attempt(case: Any) -> None:
        for who, headers in callers.items():
            response = case.call(session=client, headers=headers)
            seen.append((who, response.status_code))
            assert response.status_code in REFUSED, (method, path, who, case.body)
            if who == "anonymous":
                assert response.status_code == 401

    attempt()
    return seen

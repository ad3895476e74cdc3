"""Schemathesis fuzzes every operation of /api/v1/openapi.json, in process, on real data.

The operations are read from the OpenAPI document, so a domain's endpoints are fuzzed the day
it is declared (app.api.schema.operation). Every response must be documented: no 5xx, a status code
the operation lists, its content type, its headers and its body schema. Path ids are drawn
partly from the objects built below (so requests reach real offers, briefs, proposals,
contracts and milestones), and each request is sent as the business, the creator, a third user
or nobody. Positive and negative (schema-violating) inputs are both generated.

Driven through Hypothesis directly (``operation.as_strategy``) rather than the schemathesis
pytest plugin, whose fixture-based parametrisation does not work with this pytest version.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks
from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.api.openapi import build_spec
from app.briefs import services as briefs
from app.contracts import services as contracts
from app.extensions import db
from app.payments import ledger
from app.payments import services as payments
from app.payments.gateway import PaymentGateway, gateway_for
from tests.checkout_support import pay_milestone
from tests.factories import make_brief, make_business, make_creator, make_offer, make_proposal
from tests.payments.helpers import VISA
from tests.stripe_support import truncate_all

load_all_checks()
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Per operation (about 100 of them, so about 1,600 cases in all): the module is the suite's
# largest CPU cost; the cases are derandomized, so a failure is the same case on every run.
MAX_EXAMPLES = 16
ROLES = ("business", "creator", "stranger", "anonymous")
METHODS = ("get", "post", "put", "patch", "delete")

OPERATIONS = [
    (method.upper(), path)
    for path, item in build_spec()["paths"].items()
    for method in item
    if method in METHODS
]


def build_world(session: Session, gateway: PaymentGateway) -> dict[str, Any]:
    """Objects in the states the API exposes, made through the services."""
    business, creator = make_business(session), make_creator(session)
    stranger, rival = make_creator(session), make_creator(session)
    stranger.is_business = True  # both roles: refusals must come from ownership
    offers = [
        make_offer(session, creator, status="published"),
        make_offer(session, creator, kind="stock_media", status="published"),
        make_offer(session, creator, kind="influencer", status="draft"),
        make_offer(session, creator, status="paused"),
    ]
    open_brief = make_brief(session, business)
    draft_brief = make_brief(session, business, publish=False, title="A draft brief for later")
    invite_only = make_brief(session, business, visibility="invite_only", title="By invitation")
    proposal = make_proposal(session, open_brief, creator)
    rival_proposal = make_proposal(session, open_brief, rival, price_minor=25_000)
    second = make_brief(session, business, title="Packaging design for a tea brand")
    from_proposal = briefs.accept_proposal(
        session, make_proposal(session, second, creator), business
    )
    ordered = contracts.create_from_package(session, offers[0], "standard", business=business)
    funded = payments.milestones_of(session, ordered.id)[0]
    pay_milestone(session, gateway, funded.id, business, VISA)
    tokens: dict[str, dict[str, str]] = {"anonymous": {}}
    for role, user in (("business", business), ("creator", creator), ("stranger", stranger)):
        _token, secret = accounts.create_api_token(session, user, name="fuzz")
        tokens[role] = {"Authorization": f"Bearer {secret}"}
    session.commit()
    milestones = [
        m.id for c in (from_proposal, ordered) for m in payments.milestones_of(session, c.id)
    ]
    ids = {
        "offer_id": [o.id for o in offers],
        "brief_id": [open_brief.id, draft_brief.id, invite_only.id, second.id],
        "proposal_id": [proposal.id, rival_proposal.id, from_proposal.proposal_id],
        "contract_id": [from_proposal.id, ordered.id],
        "milestone_id": milestones,
    }
    users = {"business": business, "creator": creator, "stranger": stranger}
    return {"tokens": tokens, "ids": ids, "users": users}


def _cases(operation: Any, ids: dict[str, list[int]]) -> st.SearchStrategy[Any]:
    """Generated cases, most of them aimed at real objects (ids from ``ids``); paths with
    parameters the world has no objects for (a newer domain's) keep generated values.

    The strategies are built once per test, one per choice of path ids: building them inside
    a ``flatmap`` rebuilt (and re-validated) both schema strategies for every example."""
    names = [p.name for p in operation.path_parameters]
    real: list[dict[str, Any] | None] = [None]
    if names and all(name in ids for name in names):
        real += [
            {name: ids[name][i % len(ids[name])] for name in names}
            for i in range(max(len(ids[n]) for n in names))
        ]
    return st.one_of(
        [
            st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
                operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
            )
            for fixed in real
        ]
    )


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> Any:
    """The schema read from /api/v1/openapi.json, once per module: reading it is a request
    plus parsing the whole document, and the session-wide app serves the same one to every
    test (the world each test builds is data, not part of the document)."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@contextlib.contextmanager
def _matching_switched_on(app: Flask, index_dir: Path) -> Iterator[None]:
    saved = {key: app.config[key] for key in ("MATCHING_ENABLED", "INDEX_DIR")}
    app.config.update(MATCHING_ENABLED=True, INDEX_DIR=str(index_dir))
    app.extensions.pop("live_index", None)
    try:
        yield
    finally:
        app.extensions.pop("live_index", None)
        app.config.update(saved)


@pytest.fixture(scope="module")
def world(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One world for the whole module, committed: it was rebuilt by every test (about 100
    of them), which was close to half of the module's time. Each test still runs in its own
    rolled-back transaction (``session``), so what one test's requests change is gone before
    the next; the world's rows are emptied after the module."""
    assert db.engine is not None
    gateway = gateway_for(app)
    gateway.key_prefix = f"fuzz{uuid.uuid4().hex[:10]}-"  # type: ignore[attr-defined]
    db.bind(db.engine)
    try:
        with app.app_context(), _matching_switched_on(app, tmp_path_factory.mktemp("index")):
            built = build_world(db.session(), gateway)
            db.session.commit()
        yield {"tokens": built["tokens"], "ids": built["ids"]}
    finally:
        db.session.remove()
        truncate_all()


@pytest.fixture()
def matching_on(app: Flask, session: Session, tmp_path: Path) -> Iterator[None]:
    """Matching switched on (the suite's app has it off) with a fresh, empty index, so the
    matching and semantic-search endpoints answer for real instead of 503."""
    with _matching_switched_on(app, tmp_path / "index"):
        yield


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_api_response_is_documented(
    api_schema, world, client, session, gateway, matching_on, method, path
):
    operation = api_schema[path][method]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the case
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation, world["ids"]), role=st.sampled_from(ROLES))
    def fuzz(case: Any, role: str) -> None:
        case.call_and_validate(session=client, headers=world["tokens"][role], checks=CHECKS)

    fuzz()
    session.expire_all()
    report = ledger.check(session)
    assert report.ok, report.problems


@pytest.mark.slow
def test_stateful_links_create_read_update(
    api_schema, world, client, session, gateway, matching_on
):
    """Schemathesis follows the document's links (create -> read -> update: offers, briefs,
    proposals, negotiations, orders, contests, disputes) as one account with both roles, and
    every answer on the way must be documented, as above."""
    schema = api_schema
    headers = world["tokens"]["stranger"]  # business and creator at once
    links = [
        (path, method, name)
        for path, item in build_spec()["paths"].items()
        for method, op in item.items()
        for answer in op["responses"].values()
        for name in answer.get("links", {})
    ]
    assert len(links) >= 15, links

    class Links(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"session": client, "headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Links.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    session.expire_all()
    report = ledger.check(session)
    assert report.ok, report.problems

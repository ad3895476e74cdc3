"""Reports, hide/restore, suspensions, and that only moderators can moderate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.briefs import queries
from app.db import Base
from app.devtools.stripe_emulator import EmulatorProcess
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.jobs import run_due
from app.matching.documents import listed_offers_query
from app.matching.models import IndexOutbox
from app.moderation import services
from app.moderation.models import Report, ReportStatus
from app.offers.catalog import CatalogQuery, search_catalog
from app.payments import ledger
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.payments.models import MilestoneState
from app.payments.payouts import PayoutBlocked
from app.settlement.models import Payout
from tests.factories import (
    PASSWORD,
    api_token,
    login,
    make_brief,
    make_business,
    make_creator,
    make_offer,
    make_user,
)
from tests.payments.helpers import assert_ledger_ok, delivered_milestone, onboard

REASON = "Breaks the marketplace rules"


def _counts(session: Session) -> dict[str, int]:
    return {
        t.name: session.scalar(select(func.count()).select_from(t)) or 0
        for t in Base.metadata.sorted_tables
    }


def _catalog_ids(session: Session) -> set[int]:
    return {o.id for o in search_catalog(session, CatalogQuery()).items}


def _matching_ids(session: Session) -> set[int]:
    return {o.id for o in session.scalars(listed_offers_query())}


def test_report_rules(session: Session) -> None:
    owner, reporter = make_creator(session), make_business(session)
    offer = make_offer(session, owner, status="published")
    draft = make_offer(session, owner)
    report = services.create_report(
        session, reporter, subject_type="offer", subject_id=offer.id, reason="scam"
    )
    assert report.status is ReportStatus.OPEN
    with pytest.raises(Conflict):  # one open report per reporter and subject
        services.create_report(
            session, reporter, subject_type="offer", subject_id=offer.id, reason="spam"
        )
    with pytest.raises(NotFound):  # a draft is invisible to the reporter
        services.create_report(
            session, reporter, subject_type="offer", subject_id=draft.id, reason="spam"
        )
    with pytest.raises(ValidationFailed):
        services.create_report(
            session, reporter, subject_type="comment", subject_id=offer.id, reason="spam"
        )
    with pytest.raises(ValidationFailed):  # own content
        services.create_report(
            session, owner, subject_type="offer", subject_id=offer.id, reason="spam"
        )
    assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_report_api_and_form(client, session: Session) -> None:
    owner, reporter = make_creator(session), make_business(session)
    offer = make_offer(session, owner, status="published")
    brief = make_brief(session, make_business(session))
    headers = api_token(session, reporter)
    bad = client.post(
        "/api/v1/reports", json={"subject_type": "offer", "subject_id": "1"}, headers=headers
    )
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"subject_id", "reason"}
    made = client.post(
        "/api/v1/reports",
        json={"subject_type": "offer", "subject_id": offer.id, "reason": "spam", "details": "x"},
        headers=headers,
    )
    assert made.status_code == 201 and made.json["status"] == "open"
    assert (
        client.post(
            "/api/v1/reports",
            json={"subject_type": "brief", "subject_id": 10**12, "reason": "spam"},
            headers=headers,
        ).status_code
        == 404
    )
    login(client, reporter)
    assert client.get(f"/report?type=brief&id={brief.id}").status_code == 200
    sent = client.post(
        "/report", data={"subject_type": "brief", "subject_id": brief.id, "reason": "abuse"}
    )
    assert sent.status_code == 302
    assert session.scalar(select(func.count()).select_from(Report)) == 2


def test_hidden_offer_leaves_catalog_pages_and_matching_and_comes_back(client, session):
    moderator = make_user(session, moderator=True)
    owner = make_creator(session)
    offer = make_offer(session, owner, status="published")
    visitor = make_business(session)
    assert offer.id in _catalog_ids(session) and offer.id in _matching_ids(session)

    outbox_before = session.scalar(select(func.count()).select_from(IndexOutbox))
    services.hide(session, moderator, "offer", offer.id, REASON)
    assert offer.id not in _catalog_ids(session) and offer.id not in _matching_ids(session)
    assert session.scalar(select(func.count()).select_from(IndexOutbox)) == outbox_before + 1
    login(client, visitor)
    assert client.get(f"/offers/{offer.id}").status_code == 404
    assert client.get(f"/api/v1/offers/{offer.id}").status_code == 404
    assert f'/offers/{offer.id}"' not in client.get(f"/creators/{owner.id}").get_data(as_text=True)

    services.restore(session, moderator, "offer", offer.id, "Reviewed: it is fine")
    assert offer.id in _catalog_ids(session) and offer.id in _matching_ids(session)
    assert client.get(f"/offers/{offer.id}").status_code == 200
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.data).where(
            AuditEvent.subject_type == "offer", AuditEvent.action.startswith("moderation.")
        )
    ).all()
    assert [(a, who, data["reason"]) for a, who, data in rows] == [
        ("moderation.hide", moderator.id, REASON),
        ("moderation.restore", moderator.id, "Reviewed: it is fine"),
    ]


def test_hidden_brief_leaves_the_board_and_comes_back(client, session: Session) -> None:
    moderator = make_user(session, moderator=True)
    owner = make_business(session)
    brief = make_brief(session, owner)

    def board() -> set[int]:
        page = queries.board(session, queries.BoardFilters(), page=1, per_page=50)
        return {b.id for b in page.items}

    assert brief.id in board()
    services.hide(session, moderator, "brief", brief.id, REASON)
    assert brief.id not in board()
    assert client.get(f"/briefs/{brief.id}").status_code == 404
    login(client, owner)  # the owner still sees it
    assert client.get(f"/briefs/{brief.id}").status_code == 200
    services.restore(session, moderator, "brief", brief.id, "Appeal accepted")
    assert brief.id in board()


def test_hidden_profile_leaves_public_pages_catalog_and_matching(client, session: Session):
    moderator = make_user(session, admin=True)
    owner = make_creator(session)
    offer = make_offer(session, owner, status="published")
    services.hide(session, moderator, "profile", owner.id, REASON)
    assert client.get(f"/creators/{owner.id}").status_code == 404
    assert offer.id not in _catalog_ids(session) and offer.id not in _matching_ids(session)
    services.restore(session, moderator, "profile", owner.id, "Appeal accepted")
    assert client.get(f"/creators/{owner.id}").status_code == 200
    assert offer.id in _catalog_ids(session) and offer.id in _matching_ids(session)


def test_moderator_actions_need_a_reason_and_a_moderator(session: Session) -> None:
    moderator = make_user(session, moderator=True)
    offer = make_offer(session, make_creator(session), status="published")
    before = _counts(session)
    with pytest.raises(ValidationFailed):
        services.hide(session, moderator, "offer", offer.id, "  ")
    with pytest.raises(PermissionDenied):
        services.hide(session, make_business(session), "offer", offer.id, REASON)
    with pytest.raises(Conflict):
        services.restore(session, moderator, "offer", offer.id, REASON)
    with pytest.raises(PermissionDenied):  # staff accounts need an admin
        services.suspend(session, moderator, make_user(session, moderator=True).id, REASON)
    session.expire_all()
    after = _counts(session)
    assert after.pop("users") > before.pop("users")  # only the accounts made above
    after.pop("creator_profiles"), before.pop("creator_profiles")
    assert after == before and offer.hidden_at is None


def test_hiding_settles_open_reports_and_dismiss_closes_one(session: Session) -> None:
    moderator = make_user(session, moderator=True)
    offer = make_offer(session, make_creator(session), status="published")
    first = services.create_report(
        session, make_business(session), subject_type="offer", subject_id=offer.id, reason="spam"
    )
    other = services.create_report(
        session, make_business(session), subject_type="offer", subject_id=offer.id, reason="scam"
    )
    services.dismiss(session, moderator, first.id, "Not spam")
    assert first.status is ReportStatus.DISMISSED and first.resolved_by_id == moderator.id
    with pytest.raises(Conflict):
        services.dismiss(session, moderator, first.id, "Again")
    services.hide(session, moderator, "offer", offer.id, REASON)
    session.refresh(other)
    assert other.status is ReportStatus.ACTIONED and other.resolved_by_id == moderator.id
    assert services.reports(session) == []


def test_suspended_creator_cannot_log_in_nor_be_paid_out(
    client, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    with clock.frozen_at(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)):
        milestone = delivered_milestone(session, gateway, amount=20_000)
        creator = milestone.contract.creator
        onboard(session, gateway, emulator, creator)
        payments.accept(session, milestone.id, business=milestone.contract.business)
        moderator = make_user(session, moderator=True)
        services.suspend(session, moderator, creator.id, "Fraudulent deliveries")
        session.commit()

        response = client.post("/login", data={"email": creator.email, "password": PASSWORD})
        assert response.status_code != 302

        clock.advance(timedelta(days=9))
        pending = ledger.balance(session, ledger.creator_pending(creator.id), "USD")
        assert pending == 18_000
        with pytest.raises(PayoutBlocked, match="suspended"):
            payments.pay_out(session, gateway, milestone.id)
        report = run_due(session, gateway)
        assert report.retried >= 1
        session.refresh(milestone)
        assert milestone.state == MilestoneState.RELEASED
        assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == 18_000
        assert ledger.balance(session, ledger.creator_paid(creator.id), "USD") == 0
        assert (
            session.scalar(
                select(func.count())
                .select_from(Payout)
                .where(Payout.stripe_transfer_id.is_not(None))
            )
            == 0
        )
        assert_ledger_ok(session)

        services.unsuspend(session, moderator, creator.id, "Cleared after review")
        session.commit()
        assert run_due(session, gateway).done >= 1
        session.refresh(milestone)
        assert milestone.state == MilestoneState.PAID_OUT
        assert ledger.balance(session, ledger.creator_paid(creator.id), "USD") == 18_000
        assert_ledger_ok(session)
        login(client, creator)


def _moderation_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        page = rule.endpoint.startswith("moderation.") and rule.endpoint != "moderation.report"
        api = rule.endpoint.startswith("api.") and "/moderation/" in rule.rule
        if not (page or api):
            continue
        path = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


@pytest.mark.parametrize("as_api", [False, True], ids=["browser", "api"])
def test_everyone_but_moderators_gets_403(app, client, session: Session, as_api: bool) -> None:
    target = make_creator(session)
    offer = make_offer(session, target, status="published")
    services.create_report(
        session, make_business(session), subject_type="offer", subject_id=offer.id, reason="spam"
    )
    routes = [r for r in _moderation_routes(app) if r[1].startswith("/api/") == as_api]
    assert len(routes) >= (6 if as_api else 8)
    for outsider in (make_creator(session), make_business(session)):
        headers = api_token(session, outsider) if as_api else {}
        session.commit()
        if not as_api:
            login(client, outsider)
        before = _counts(session)
        for method, path in routes:
            if "/users/" in path:
                path = path.replace("/users/1/", f"/users/{target.id}/")
            body = {"subject_type": "offer", "subject_id": offer.id, "reason": REASON}
            kwargs = {"json": body} if as_api else {"data": body}
            response = client.open(path, method=method, headers=headers, **kwargs)
            assert response.status_code == 403, (outsider.id, method, path, response.status_code)
        session.expire_all()
        after = _counts(session)
        after.pop("api_tokens"), before.pop("api_tokens")
        assert after == before
        client.post("/logout")


def test_moderator_pages(client, session: Session) -> None:
    moderator = make_user(session, moderator=True)
    owner = make_creator(session)
    offer = make_offer(session, owner, status="published")
    report = services.create_report(
        session, make_business(session), subject_type="offer", subject_id=offer.id, reason="spam"
    )
    login(client, moderator)
    home = client.get("/moderation").get_data(as_text=True)
    assert 'href="/moderation/disputes"' in home and "/moderation/reports" in home
    queue = client.get("/moderation/reports").get_data(as_text=True)
    assert f"/moderation/reports/{report.id}" in queue
    assert client.get(f"/moderation/reports/{report.id}").status_code == 200
    refused = client.post(
        "/moderation/hide", data={"subject_type": "offer", "subject_id": offer.id, "reason": ""}
    )
    assert refused.status_code == 422 and offer.hidden_at is None
    done = client.post(
        "/moderation/hide",
        data={
            "subject_type": "offer",
            "subject_id": offer.id,
            "reason": REASON,
            "report_id": str(report.id),
        },
    )
    assert done.status_code == 302
    session.refresh(offer)
    assert offer.hidden_at is not None
    assert (
        client.post(f"/moderation/users/{owner.id}/suspend", data={"reason": REASON}).status_code
        == 302
    )
    session.refresh(owner)
    assert owner.suspended_at is not None
    api = api_token(session, moderator)
    listed = client.get("/api/v1/moderation/reports?status=all", headers=api)
    assert listed.status_code == 200 and listed.json["items"][0]["status"] == "actioned"
    restored = client.post(
        "/api/v1/moderation/restore",
        json={"subject_type": "offer", "subject_id": offer.id, "reason": "Appeal"},
        headers=api,
    )
    assert restored.status_code == 200 and restored.json["hidden"] is False

"""Dispute pages and JSON API: opening from the contract page (with evidence files), who may
see what (404 for other parties, 403 on the queue), moderator decisions via the form."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.disputes.models import Dispute, DisputeEvidence
from app.disputes.models import DisputeState as D
from app.payments import ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import MilestoneState as S
from tests.factories import api_token, login, make_business, make_creator
from tests.payments.helpers import delivered_milestone, funded_milestone

from .helpers import counts, moderator, under_review


def test_open_from_the_contract_page_with_a_file(
    client: Any, session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    stranger = make_creator(session)
    session.commit()
    login(client, contract.business)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert f"/milestones/{milestone.id}/dispute" in page
    response = client.post(
        f"/milestones/{milestone.id}/dispute",
        data={
            "reason": "The logo is not vector.",
            "evidence": "See the brief",
            "files": [(io.BytesIO(b"proof"), "proof.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    dispute = session.scalars(select(Dispute)).one()
    session.refresh(milestone)
    assert milestone.state == S.DISPUTED and dispute.state == D.AWAITING_RESPONSE
    evidence = session.scalars(
        select(DisputeEvidence).where(DisputeEvidence.stored_name.is_not(None))
    ).one()
    url = f"/disputes/{dispute.id}/evidence/{evidence.id}"
    assert client.get(url).data == b"proof"
    assert "The logo is not vector." in client.get(f"/disputes/{dispute.id}").get_data(as_text=True)

    client.post("/logout")
    login(client, stranger)
    before = counts(session), ledger.snapshot(session)
    assert client.get(f"/disputes/{dispute.id}").status_code == 404
    assert client.get(url).status_code == 404
    assert client.post(f"/disputes/{dispute.id}/respond", data={"response": "x"}).status_code == 404
    assert (
        client.post(f"/disputes/{dispute.id}/settlement", data={"refund": "1"}).status_code == 404
    )
    assert (
        client.post(f"/milestones/{milestone.id}/dispute", data={"reason": "x"}).status_code == 404
    )
    assert client.get("/moderation/disputes").status_code == 403
    assert (counts(session), ledger.snapshot(session)) == before


def test_moderator_queue_and_resolution_form(
    client: Any, session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    dispute = under_review(session, milestone)
    mod = moderator(session)
    session.commit()
    login(client, mod)
    queue = client.get("/moderation/disputes?filter=waiting")
    assert queue.status_code == 200 and f"/disputes/{dispute.id}" in queue.get_data(as_text=True)
    page = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "contracts" in page and "Decide" in page
    bad = client.post(
        f"/disputes/{dispute.id}/resolve", data={"outcome": "split", "refund": "", "note": "x"}
    )
    assert bad.status_code == 422
    ok = client.post(
        f"/disputes/{dispute.id}/resolve",
        data={"outcome": "split", "refund": "25.00", "note": "Partly done."},
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)[:500]
    session.expire_all()
    dispute = session.get(Dispute, dispute.id)
    assert dispute is not None and dispute.state == D.RESOLVED_SPLIT
    assert (dispute.refund_minor, dispute.release_minor) == (2_500, 7_500)
    assert dispute.moderator_id == mod.id
    history = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "Resolve split" in history and "Partly done." in history


def test_settlement_through_the_pages(
    client: Any, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway, amount=6_000)
    contract = milestone.contract
    session.commit()
    login(client, contract.creator)
    client.post(f"/milestones/{milestone.id}/dispute", data={"reason": "Scope grew."})
    dispute = session.scalars(select(Dispute)).one()
    assert (
        client.post(f"/disputes/{dispute.id}/settlement", data={"refund": "10"}).status_code == 302
    )
    client.post("/logout")
    login(client, contract.business)
    accepted = client.post(f"/disputes/{dispute.id}/settlement/accept", data={"refund": "10.00"})
    assert accepted.status_code == 302, accepted.get_data(as_text=True)[:500]
    session.expire_all()
    dispute = session.get(Dispute, dispute.id)
    assert dispute is not None and dispute.state == D.SETTLED
    assert (dispute.refund_minor, dispute.release_minor) == (1_000, 5_000)


def test_api(client: Any, session: Session, gateway: PaymentGateway) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    business = api_token(session, contract.business)
    creator = api_token(session, contract.creator)
    stranger = api_token(session, make_business(session))
    session.commit()
    url = f"/api/v1/milestones/{milestone.id}/disputes"
    assert client.post(url, json={"reason": 3}, headers=business).status_code == 422
    assert client.post(url, json={"reason": "x"}, headers=stranger).status_code == 404
    opened = client.post(url, json={"reason": "Wrong colours"}, headers=business)
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    assert body["state"] == "awaiting_response" and opened.headers["Location"].endswith(
        f"/api/v1/disputes/{body['id']}"
    )
    assert client.post(url, json={"reason": "again"}, headers=business).status_code == 409
    dispute_url = f"/api/v1/disputes/{body['id']}"
    assert client.get(dispute_url, headers=stranger).status_code == 404
    assert client.get("/api/v1/disputes", headers=stranger).get_json()["total"] == 0
    assert client.get("/api/v1/disputes", headers=creator).get_json()["total"] == 1
    before = counts(session)
    assert (
        client.post(f"{dispute_url}/respond", json={"response": "x"}, headers=stranger).status_code
        == 404
    )
    assert (
        client.post(f"{dispute_url}/respond", json={"response": "x"}, headers=business).status_code
        == 403
    )
    assert counts(session) == before
    answered = client.post(f"{dispute_url}/respond", json={"response": "Fine"}, headers=creator)
    assert answered.status_code == 200 and answered.get_json()["state"] == "under_review"
    assert session.scalar(select(func.count()).select_from(Dispute)) == 1


def test_openapi_describes_the_endpoints(client: Any, session: Session) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/disputes",
        "/disputes/{dispute_id}",
        "/milestones/{milestone_id}/disputes",
        "/disputes/{dispute_id}/respond",
        "/contracts/{contract_id}/messages",
    ):
        assert path in spec["paths"]
    assert "Dispute" in spec["components"]["schemas"]

"""Threads per contract and per proposal: posting with attachments, unread counts, and who
may read (parties; the moderator handling a dispute; nobody else, who gets 404)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.disputes import services as disputes
from app.messaging import services
from app.messaging.models import Message, MessageAttachment, MessageThread
from app.payments.gateway import PaymentGateway
from tests.factories import (
    api_token,
    login,
    make_brief,
    make_business,
    make_creator,
    make_proposal,
    make_user,
)
from tests.payments.helpers import funded_milestone, make_contract


def _rows(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (MessageThread, Message, MessageAttachment)
    )


def _files(app: Flask, thread_id: int) -> list[Path]:
    folder = Path(app.config["MEDIA_ROOT"]) / "messages" / str(thread_id)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_post_with_attachment_unread_counts_and_download(
    app: Flask, client: Any, session: Session
) -> None:
    contract = make_contract(session)
    business, creator = contract.business, contract.creator
    session.commit()
    login(client, business)
    response = client.post(
        f"/contracts/{contract.id}/messages",
        data={"body": "Hello!", "files": [(io.BytesIO(b"<svg/>"), "../../evil name.svg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    thread = session.scalars(select(MessageThread)).one()
    stored = _files(app, thread.id)
    assert len(stored) == 1 and stored[0].name.endswith("_evil_name.svg")
    assert services.unread_total(session, creator.id) == 1
    assert services.unread_total(session, business.id) == 0
    attachment = session.scalars(select(MessageAttachment)).one()

    client.post("/logout")
    login(client, creator)
    page = client.get(f"/contracts/{contract.id}")
    assert "1 unread" in page.get_data(as_text=True)
    assert client.get(f"/contracts/{contract.id}/messages").status_code == 200
    assert services.unread_total(session, creator.id) == 0  # read marker moved
    download = client.get(f"/messages/{thread.id}/files/{attachment.id}")
    assert download.status_code == 200 and download.data == b"<svg/>"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_third_parties_get_404_and_change_nothing(
    app: Flask, client: Any, session: Session
) -> None:
    contract = make_contract(session)
    thread = services.thread_for_contract(session, contract)
    services.post(session, thread, sender=contract.business, body="private")
    stranger = make_creator(session)
    headers = api_token(session, stranger)
    session.commit()
    login(client, stranger)
    before = _rows(session)
    attachment_url = f"/messages/{thread.id}/files/1"
    for method, url in [
        ("GET", f"/contracts/{contract.id}/messages"),
        ("POST", f"/contracts/{contract.id}/messages"),
        ("GET", attachment_url),
    ]:
        assert client.open(url, method=method, data={"body": "hi"}).status_code == 404
    assert (
        client.get(f"/api/v1/contracts/{contract.id}/messages", headers=headers).status_code == 404
    )
    posted = client.post(
        f"/api/v1/contracts/{contract.id}/messages", json={"body": "hi"}, headers=headers
    )
    assert posted.status_code == 404
    session.expire_all()
    assert _rows(session) == before


def test_attachments_are_not_reachable_by_third_parties(
    app: Flask, client: Any, session: Session
) -> None:
    contract = make_contract(session)
    stranger = make_business(session)
    session.commit()
    login(client, contract.creator)
    client.post(
        f"/contracts/{contract.id}/messages",
        data={"body": "", "files": [(io.BytesIO(b"secret"), "plan.pdf")]},
        content_type="multipart/form-data",
    )
    attachment = session.scalars(select(MessageAttachment)).one()
    thread_id = attachment.message.thread_id
    client.post("/logout")
    login(client, stranger)
    assert client.get(f"/messages/{thread_id}/files/{attachment.id}").status_code == 404
    # Nor through another thread the stranger can read.
    own = make_contract(session, business=stranger)
    own_thread = services.thread_for_contract(session, own)
    session.commit()
    assert client.get(f"/messages/{own_thread.id}/files/{attachment.id}").status_code == 404


def test_refused_posts_leave_no_files(app: Flask, client: Any, session: Session) -> None:
    contract = make_contract(session)
    session.commit()
    login(client, contract.business)
    client.get(f"/contracts/{contract.id}/messages")  # creates the thread
    thread = session.scalars(select(MessageThread)).one()
    app.config["MESSAGE_MAX_FILES"] = 1
    try:
        too_many = client.post(
            f"/contracts/{contract.id}/messages",
            data={"body": "x", "files": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.txt")]},
            content_type="multipart/form-data",
        )
    finally:
        app.config.pop("MESSAGE_MAX_FILES")
    assert too_many.status_code == 422
    assert _files(app, thread.id) == []
    # The service refuses after the file was stored (a suspended sender): the file goes too.
    contract.business.suspended_at = contract.created_at
    session.commit()
    before = _rows(session)
    refused = client.post(
        f"/contracts/{contract.id}/messages",
        data={"body": "x", "files": [(io.BytesIO(b"a"), "a.txt")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code in (302, 403, 422)  # suspended sessions end, or are refused
    session.expire_all()
    assert _files(app, thread.id) == []
    assert _rows(session) == before


def test_store_then_service_failure_deletes_the_file(
    app: Flask, client: Any, session: Session, gateway: PaymentGateway
) -> None:
    # The handling moderator passes the form and the file is stored, then the service
    # refuses (moderators read, they do not post): the stored file must not stay behind.
    milestone = funded_milestone(session, gateway)
    dispute = disputes.open_dispute(
        session, milestone.id, user=milestone.contract.business, reason="Late"
    )
    mod = make_user(session, moderator=True)
    disputes.claim(session, dispute.id, moderator=mod)
    thread = services.thread_for_contract(session, milestone.contract)
    session.commit()
    login(client, mod)
    before = _rows(session)
    response = client.post(
        f"/contracts/{milestone.contract_id}/messages",
        data={"body": "hello", "files": [(io.BytesIO(b"a"), "a.txt")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert _files(app, thread.id) == []
    session.expire_all()
    assert _rows(session) == before


def test_proposal_thread_continues_into_the_contract(client: Any, session: Session) -> None:
    business = make_business(session)
    creator = make_creator(session)
    brief = make_brief(session, business)
    proposal = make_proposal(session, brief, creator)
    session.commit()
    login(client, creator)
    assert (
        client.post(f"/proposals/{proposal.id}/messages", data={"body": "Question?"}).status_code
        == 302
    )
    client.post("/logout")
    login(client, business)
    page = client.get(f"/briefs/{brief.id}").get_data(as_text=True)
    assert f"/proposals/{proposal.id}/messages" in page and "1 unread" in page
    from app.briefs import services as briefs

    contract = briefs.accept_proposal(session, proposal, business)
    thread = services.thread_for_contract(session, contract)
    assert thread.proposal_id == proposal.id and thread.contract_id == contract.id
    assert [m.body for m in services.messages_of(session, thread)] == ["Question?"]


def test_moderator_handling_a_dispute_reads_the_thread(
    client: Any, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway)
    contract = milestone.contract
    thread = services.thread_for_contract(session, contract)
    services.post(session, thread, sender=contract.creator, body="Work is late, sorry")
    dispute = disputes.open_dispute(session, milestone.id, user=contract.business, reason="Late")
    mod = make_user(session, moderator=True)
    other_mod = make_user(session, moderator=True)
    session.commit()
    login(client, mod)
    assert client.get(f"/contracts/{contract.id}/messages").status_code == 404
    disputes.claim(session, dispute.id, moderator=mod)
    session.commit()
    page = client.get(f"/contracts/{contract.id}/messages")
    assert page.status_code == 200 and "Work is late" in page.get_data(as_text=True)
    assert client.post(f"/contracts/{contract.id}/messages", data={"body": "x"}).status_code == 422
    client.post("/logout")
    login(client, other_mod)
    assert client.get(f"/contracts/{contract.id}/messages").status_code == 404


def test_api_messages(client: Any, session: Session) -> None:
    contract = make_contract(session)
    business_headers = api_token(session, contract.business)
    creator_headers = api_token(session, contract.creator)
    session.commit()
    url = f"/api/v1/contracts/{contract.id}/messages"
    sent = client.post(url, json={"body": "Kick-off on Monday?"}, headers=business_headers)
    assert sent.status_code == 201 and sent.get_json()["body"] == "Kick-off on Monday?"
    assert client.post(url, json={"body": 5}, headers=business_headers).status_code == 422
    assert client.post(url, json={"body": "x", "x": 1}, headers=business_headers).status_code == 422
    listed = client.get(url, headers=creator_headers).get_json()
    assert [m["body"] for m in listed["items"]] == ["Kick-off on Monday?"]
    assert client.get(url, headers=creator_headers).get_json()["unread"] == 0


def test_inbox_shows_names_subjects_and_the_last_message(client: Any, session: Session) -> None:
    contract = make_contract(session)
    business, creator = contract.business, contract.creator
    business.company_name = "Roastery Ltd"
    thread = services.thread_for_contract(session, contract)
    services.post(session, thread, sender=business, body="First note")
    services.post(session, thread, sender=business, body="Can we meet on Friday?")
    session.commit()
    login(client, creator)
    html = client.get("/messages").get_data(as_text=True)
    assert "Roastery Ltd" in html and contract.title in html
    assert "Can we meet on Friday?" in html and "First note" not in html
    assert "2 unread" in html and "Contract #" not in html
    client.post("/logout")
    login(client, business)
    html = client.get("/messages").get_data(as_text=True)
    assert creator.display_name in html and "You: Can we meet on Friday?" in html


def test_contact_before_hiring_rate_limited_and_reportable(client: Any, session: Session) -> None:
    from app.messaging.services import CONTACT_LIMIT
    from app.offers.models import Offer

    business = make_business(session)
    creator = make_creator(session)
    session.commit()
    login(client, business)
    page = client.get(f"/creators/{creator.id}").get_data(as_text=True)
    assert f"/creators/{creator.id}/contact" in page
    sent = client.post(f"/creators/{creator.id}/contact", data={"body": "Free in May?"})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:300]
    thread = session.scalars(select(MessageThread)).one()
    assert sent.location.endswith(f"/messages/{thread.id}")
    assert (thread.direct_key, thread.contract_id, thread.proposal_id) == (
        f"{business.id}-{creator.id}",
        None,
        None,
    )
    again = client.post(f"/creators/{creator.id}/contact", data={"body": "And June?"})
    assert again.status_code == 303
    assert _rows(session)[:2] == (1, 2)  # the same conversation continues
    assert client.post(f"/creators/{creator.id}/contact", data={"body": " "}).status_code == 422
    # A business may start only CONTACT_LIMIT new conversations a day.
    others = [make_creator(session) for _ in range(CONTACT_LIMIT)]
    session.commit()
    statuses = [
        client.post(f"/creators/{c.id}/contact", data={"body": "Hello"}).status_code for c in others
    ]
    assert statuses == [303] * (CONTACT_LIMIT - 1) + [429]
    assert _rows(session)[0] == CONTACT_LIMIT
    # The creator reads it in the inbox and can report it; strangers cannot read it.
    client.post("/logout")
    login(client, creator)
    assert "Before hiring" in client.get("/messages").get_data(as_text=True)
    html = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "Free in May?" in html and "/report?type=message" in html
    reply = client.post(f"/messages/{thread.id}", data={"body": "Yes, I am."})
    assert reply.status_code == 302
    client.post("/logout")
    stranger = make_business(session)
    session.commit()
    login(client, stranger)
    assert client.get(f"/messages/{thread.id}").status_code == 404
    assert client.post(f"/messages/{thread.id}", data={"body": "hi"}).status_code == 404
    # Creators cannot cold-contact creators.
    client.post("/logout")
    login(client, creator)
    assert client.post(f"/creators/{others[0].id}/contact", data={"body": "x"}).status_code == 403
    assert session.scalar(select(func.count()).select_from(Offer)) == 0

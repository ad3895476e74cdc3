"""The admin page: find users, change roles (audited), suspend/reinstate, payouts that need a
person; the moderators' audit log names the actors and links the subjects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.jobs import run_due
from app.media import services as media
from app.payments import services as payments
from tests.factories import login, make_business, make_creator, make_user
from tests.media.helpers import upload
from tests.payments.helpers import delivered_milestone

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def test_only_admins_reach_the_admin_page(session: Session, client: FlaskClient) -> None:
    moderator = make_user(session, moderator=True)
    login(client, moderator)
    assert client.get("/admin").status_code == 403
    target = make_creator(session)
    assert (
        client.post(f"/admin/users/{target.id}/roles", data={"roles": ["admin"]}).status_code == 403
    )
    session.refresh(target)
    assert not target.is_admin


def test_find_users_and_change_roles(session: Session, client: FlaskClient) -> None:
    admin = make_user(session, admin=True, name="Ada Admin")
    creator = make_creator(session, name="Zoe Unique")
    make_business(session, name="Somebody Else")
    login(client, admin)
    html = client.get("/admin?q=zoe unique").get_data(as_text=True)
    assert "Zoe Unique" in html and "Somebody Else" not in html
    assert "Zoe Unique" in client.get(f"/admin?q=%23{creator.id}").get_data(as_text=True)
    saved = client.post(
        f"/admin/users/{creator.id}/roles", data={"roles": ["creator", "moderator"]}
    )
    assert saved.status_code == 303
    session.refresh(creator)
    assert creator.is_creator and creator.is_moderator and not creator.is_admin
    row = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.roles")).one()
    assert (row.actor_id, row.subject_id, row.data["after"]) == (
        admin.id,
        creator.id,
        ["creator", "moderator"],
    )
    # Nonsense and self-demotion are refused, nothing changes.
    assert (
        client.post(f"/admin/users/{creator.id}/roles", data={"roles": ["root"]}).status_code == 422
    )
    assert client.post(f"/admin/users/{creator.id}/roles", data={}).status_code == 422
    assert (
        client.post(f"/admin/users/{admin.id}/roles", data={"roles": ["creator"]}).status_code
        == 403
    )
    session.refresh(admin)
    assert admin.is_admin


def test_payouts_needing_attention_are_listed(
    session: Session, client: FlaskClient, gateway, frozen
) -> None:
    milestone = delivered_milestone(session, gateway)
    payments.accept(session, milestone.id, business=milestone.contract.business)
    clock.advance(timedelta(days=9))
    run_due(session, gateway)  # the creator never set up payouts: held
    admin = make_user(session, admin=True)
    login(client, admin)
    html = client.get("/admin").get_data(as_text=True)
    assert "has not finished setting up payouts" in html
    assert milestone.contract.creator.email in html


def test_audit_log_names_staff_and_links_subjects(
    session: Session, client: FlaskClient, storage
) -> None:
    staff = make_user(session, moderator=True, name="Mia Moderator")
    creator = make_creator(session)
    asset = upload(session, storage, creator)
    media.approve(session, asset.id, moderator=staff)
    login(client, staff)
    html = client.get("/moderation").get_data(as_text=True)
    assert "Mia Moderator" in html and f"#{staff.id}</td>" not in html
    assert f'href="/media/{asset.id}"' in html and "approve" in html

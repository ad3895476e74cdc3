"""The review state machine: the transition table, audit rows, who may review, reasons."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.media import services, states
from app.media.models import MediaState
from tests.factories import login, make_business, make_creator, make_user
from tests.media.helpers import counts, upload

S = MediaState
TABLE = [
    (action, source, states.MEDIA.allowed(action, source))
    for action in states.MEDIA.transitions
    for source in S
]


def _events(session) -> int:
    rows = select(func.count()).select_from(AuditEvent)
    return session.scalar(rows.where(AuditEvent.subject_type == "media")) or 0


@pytest.mark.parametrize(("action", "source", "legal"), TABLE)
def test_transition_table(session, storage, action, source, legal):
    asset = upload(session, storage, make_creator(session))
    asset.state = source
    session.flush()
    before = _events(session)
    if legal:
        states.MEDIA.move(session, asset, action, actor_id=None)
        assert asset.state == states.MEDIA.target(action)
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.verb, event.from_state, event.to_state) == (
            action,
            source.value,
            asset.state.value,
        )
    else:
        with pytest.raises(InvalidTransition):
            states.MEDIA.move(session, asset, action, actor_id=None)
        assert asset.state == source
        assert _events(session) == before


def test_only_moderators_review_and_not_their_own(session, storage):
    creator = make_creator(session)
    asset = upload(session, storage, creator)
    staff_creator = make_creator(session)
    staff_creator.is_moderator = True
    own = upload(session, storage, staff_creator, seed=3)
    before = counts(session)
    for user in (make_creator(session), make_business(session), creator):
        with pytest.raises(PermissionDenied):
            services.approve(session, asset.id, moderator=user)
    with pytest.raises(PermissionDenied):
        services.approve(session, own.id, moderator=staff_creator)
    assert counts(session)["media_events"] == before["media_events"]
    admin = make_user(session, admin=True)
    services.approve(session, asset.id, moderator=admin)
    assert asset.state == S.PUBLISHED and asset.reviewed_by_id == admin.id
    with pytest.raises(InvalidTransition):
        services.reject(session, asset.id, moderator=admin, reason="too late")


def test_rejection_reason_is_required_and_shown_to_the_creator(app, client, session, storage):
    creator = make_creator(session)
    asset = upload(session, storage, creator)
    moderator = make_user(session, moderator=True)
    with pytest.raises(ValidationFailed):
        services.reject(session, asset.id, moderator=moderator, reason="  ")
    assert asset.state == S.PENDING
    login(client, moderator)
    response = client.post(
        f"/moderation/media/{asset.id}/reject", data={"reason": "Logo of a brand is visible."}
    )
    assert response.status_code == 302
    client.post("/logout")
    login(client, creator)
    page = client.get("/my/media").get_data(as_text=True)
    assert "Rejected" in page and "Logo of a brand is visible." in page
    # The creator can still see their rejected asset; others cannot.
    assert client.get(f"/media/{asset.id}").status_code == 200


def test_review_pages_refuse_non_moderators(app, client, session, storage):
    asset = upload(session, storage, make_creator(session))
    login(client, make_business(session))
    before = counts(session)
    assert client.get("/moderation/media").status_code == 403
    assert client.post(f"/moderation/media/{asset.id}/approve").status_code == 403
    assert (
        client.post(f"/moderation/media/{asset.id}/reject", data={"reason": "x"}).status_code == 403
    )
    assert client.get(f"/moderation/media/{asset.id}/original").status_code == 403
    session.expire_all()
    assert counts(session) == before and asset.state == S.PENDING


def test_duplicate_flag_is_shown_in_the_queue(client, session, storage):
    from tests.media.helpers import published_asset

    listed = published_asset(session, storage, seed=30)
    copy = upload(session, storage, make_creator(session), seed=30)
    assert copy.duplicate_of_id == listed.id
    login(client, make_user(session, moderator=True))
    queue = client.get("/moderation/media").get_data(as_text=True)
    assert "Possible duplicate" in queue and f"listed media #{listed.id}" in queue


def test_withdraw_only_by_its_creator(session, storage):
    creator = make_creator(session)
    asset = upload(session, storage, creator)
    from app.errors import NotFound

    with pytest.raises(NotFound):
        services.withdraw(session, asset.id, creator=make_creator(session))
    services.withdraw(session, asset.id, creator=creator)
    assert asset.state == S.WITHDRAWN
    with pytest.raises(InvalidTransition):
        services.withdraw(session, asset.id, creator=creator)


def test_my_media_publishes_the_royalty_tiers(client, session):
    login(client, make_creator(session))
    page = client.get("/my/media").get_data(as_text=True)
    assert "0–9" in page and "500 or more" in page and "40%" in page and "85%" in page

"""JSON API for contests (registered on app.api.bp); described in api_spec.py.

Funded contests are public to signed-in users; drafts only to their business (404 otherwise).
Entries are shown to the business and to each entry's own creator.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import or_, select

from app.accounts.models import Role, User
from app.api import api_user, bp, created, json_body
from app.contests import services
from app.contests.models import Contest, ContestState
from app.contests.timers import judging_ends
from app.extensions import db
from app.negotiation.api_input import fields
from app.payments.gateway import gateway_for


def contest_json(contest: Contest, user: User) -> dict[str, Any]:
    owner = user.id == contest.business_id
    return {
        "id": contest.id,
        "business_id": contest.business_id,
        "title": contest.title,
        "description": contest.description,
        "category": contest.category,
        "prize_minor": contest.prize_minor,
        "currency": contest.currency,
        "deadline": contest.deadline.isoformat(),
        "judging_ends_at": judging_ends(contest).isoformat(),
        "state": contest.state.value,
        "entry_count": len(contest.entries),
        "entries": [
            {
                "id": e.id,
                "creator_id": e.creator_id,
                "text": e.text,
                "file": e.file_name,
                "is_finalist": e.is_finalist,
                "created_at": e.created_at.isoformat(),
            }
            for e in contest.entries
            if owner or e.creator_id == user.id
        ],
        "awards": [
            {
                "creator_id": a.creator_id,
                "amount_minor": a.amount_minor,
                "fee_minor": a.fee_minor,
                "state": a.state.value,
                "clears_at": a.clears_at.isoformat(),
            }
            for a in contest.awards
            if owner or a.creator_id == user.id
        ],
    }


CREATE = {
    "title": ("str", True),
    "description": ("str", True),
    "category": ("str", True),
    "prize_minor": ("int", True),
    "currency": ("str", True),
    "deadline": ("datetime", True),
    "judging_days": ("int", False),
}


@bp.post("/contests")
def create_contest() -> tuple[Response, int, dict[str, str]]:
    user = api_user(Role.BUSINESS)
    values = fields(json_body(), CREATE)
    contest = services.create(db.session(), user, services.ContestInput(**values))
    return created(contest_json(contest, user), f"/api/v1/contests/{contest.id}")


@bp.get("/contests")
def list_contests() -> Response:
    user = api_user()
    contests = db.session.scalars(
        select(Contest)
        .where(
            or_(
                Contest.business_id == user.id,
                Contest.state.not_in([ContestState.DRAFT, ContestState.CANCELLED]),
            )
        )
        .order_by(Contest.id.desc())
        .limit(100)
    )
    return jsonify(items=[contest_json(c, user) for c in contests])


@bp.get("/contests/<int:contest_id>")
def get_contest(contest_id: int) -> Response:
    user = api_user()
    return jsonify(contest_json(services.visible(db.session(), contest_id, user), user))


@bp.post("/contests/<int:contest_id>/fund")
def fund_contest(contest_id: int) -> Response:
    user = api_user(Role.BUSINESS)
    services.visible(db.session(), contest_id, user)
    raw = json_body() if request.get_data(cache=True) else {}
    fields(raw, {})  # no parameters: the card is confirmed with Stripe.js, never sent here
    session, gateway = db.session(), gateway_for(current_app)
    intent_id = services.fund(session, gateway, contest_id, user)
    intent = gateway.retrieve_payment_intent(intent_id)
    return jsonify(
        payment_intent_id=intent.id,
        client_secret=intent.client_secret,
        publishable_key=gateway.publishable_key,
        amount_minor=intent.amount,
        currency=intent.currency,
    )


@bp.post("/contests/<int:contest_id>/confirm-funding")
def confirm_contest_funding(contest_id: int) -> Response:
    user = api_user(Role.BUSINESS)
    services.visible(db.session(), contest_id, user)
    contest = services.confirm_funding(db.session(), gateway_for(current_app), contest_id, user)
    return jsonify(contest_json(contest, user))


@bp.post("/contests/<int:contest_id>/entries")
def enter_contest(contest_id: int) -> tuple[Response, int, dict[str, str]]:
    user = api_user(Role.CREATOR)
    services.visible(db.session(), contest_id, user)
    values = fields(json_body(), {"text": ("str", True), "file": ("str", False)})
    entry = services.enter(
        db.session(), contest_id, user, text=values["text"], file_name=values.get("file")
    )
    return created(contest_json(entry.contest, user), f"/api/v1/contests/{contest_id}")


@bp.post("/contests/<int:contest_id>/finalists")
def pick_contest_finalists(contest_id: int) -> Response:
    user = api_user(Role.BUSINESS)
    services.visible(db.session(), contest_id, user)
    values = fields(json_body(), {"entry_ids": ("id_list", True)})
    contest = services.pick_finalists(db.session(), contest_id, user, values["entry_ids"])
    return jsonify(contest_json(contest, user))


@bp.post("/contests/<int:contest_id>/winner")
def pick_contest_winner(contest_id: int) -> Response:
    user = api_user(Role.BUSINESS)
    services.visible(db.session(), contest_id, user)
    values = fields(json_body(), {"entry_id": ("id", True)})
    contest = services.pick_winner(db.session(), contest_id, user, values["entry_id"])
    return jsonify(contest_json(contest, user))

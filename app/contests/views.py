"""HTML pages for contests, on the same services as the JSON API.

Funded contests are public (drafts only for their business; anyone else gets 404). The
business sees all entries and picks finalists and the winner; a creator sees their own entry.
Views are thin: load and authorise, one service call, domain errors become form errors or a
flash with a 4xx status, so the unit of work rolls back (``app.web.commit_unit_of_work``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import clock, uploads
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.contests import chargebacks, services
from app.contests.forms import ContestForm, EntryForm, FinalistsForm, WinnerForm
from app.contests.models import Contest, ContestState
from app.contests.timers import judging_ends
from app.extensions import db
from app.payments.checkout import checkout_for
from app.payments.services import gateway_for
from app.web import Page, form_page, submit

bp = Blueprint("contests", __name__)

C = ContestState


def _viewer() -> User | None:
    user = current()
    return user if user.is_authenticated else None


@bp.get("/contests")
def board() -> str:
    viewer = _viewer()
    open_contests = db.session.scalars(
        select(Contest).where(Contest.state == C.OPEN).order_by(Contest.deadline).limit(100)
    )
    mine: list[Contest] = []
    if viewer is not None and viewer.is_business:
        mine = list(
            db.session.scalars(
                select(Contest)
                .where(Contest.business_id == viewer.id)
                .order_by(Contest.id.desc())
                .limit(100)
            )
        )
    return render_template("contests/board.html", contests=list(open_contests), mine=mine)


@bp.route("/contests/new", methods=["GET", "POST"])
@role_required(Role.BUSINESS)
def new() -> Page | Response:
    form = ContestForm()
    return form_page(
        "contests/new.html",
        form,
        lambda: services.create(db.session(), current(), form.contest_input()),
        done="Contest created. Pay the prize to open it to creators.",
        then=lambda contest: url_for("contests.fund", contest_id=contest.id),
    )


# --- the contest page -------------------------------------------------------------------------


def render_contest(
    contest: Contest, viewer: User | None, *, status: int = 200, **forms: Any
) -> Page:
    owner = viewer is not None and viewer.id == contest.business_id
    entries = [e for e in contest.entries if owner or (viewer and e.creator_id == viewer.id)]
    finalists = forms.get("finalists_form") or FinalistsForm(formdata=None).offer(contest)
    winner = forms.get("winner_form") or WinnerForm(formdata=None).offer(contest)
    now = clock.now()
    session = db.session()
    context = {
        "contest": contest,
        "owner": owner,
        "state_text": chargebacks.state_label(contest, chargebacks.latest(session, contest.id)),
        "chargeback_notice": chargebacks.notice(
            session, contest, owner=owner, viewer_id=viewer.id if viewer else None
        ),
        "entries": entries,
        "entry_count": len(contest.entries),
        "judging_ends": judging_ends(contest),
        "accepting": contest.state is C.OPEN and contest.deadline > now,
        "can_enter": viewer is not None
        and viewer.is_creator
        and not owner
        and not any(e.creator_id == viewer.id for e in contest.entries),
        "deadline_passed": contest.deadline <= now,
        "entry_form": forms.get("entry_form") or EntryForm(formdata=None),
        "finalists_form": finalists,
        "winner_form": winner,
        "awards": [a for a in contest.awards if owner or (viewer and a.creator_id == viewer.id)],
    }
    return render_template("contests/detail.html", **context), status


def _act(contest_id: int, action: Any, done: str, form_name: str, form: Any) -> Page | Response:
    """Run one contest action for the current user; re-render the page on a domain error."""
    user = current()
    contest = services.visible(db.session(), contest_id, user)
    return submit(
        form,
        action,
        done=done,
        then=url_for("contests.detail", contest_id=contest.id),
        render=lambda status: render_contest(contest, user, status=status, **{form_name: form}),
    )


@bp.get("/contests/<int:contest_id>")
def detail(contest_id: int) -> Page:
    viewer = _viewer()
    return render_contest(services.visible(db.session(), contest_id, viewer), viewer)


def _own(contest_id: int, user: User) -> Contest:
    contest = services.visible(db.session(), contest_id, user)
    if contest.business_id != user.id:
        abort(404)
    return contest


# --- funding the prize ------------------------------------------------------------------------


@bp.get("/contests/<int:contest_id>/fund")
@login_required
def fund(contest_id: int) -> str | Response:
    user = current()
    contest = _own(contest_id, user)
    if contest.state is not C.DRAFT:
        flash(f"This contest is already {contest.state.value}.", "info")
        return redirect(url_for("contests.detail", contest_id=contest.id))
    gateway = gateway_for(current_app)
    intent = gateway.retrieve_payment_intent(services.fund(db.session(), gateway, contest.id, user))
    context = {"contest": contest, "checkout": checkout_for(intent, gateway)}
    return render_template("contests/fund.html", **context)


# --- entries ----------------------------------------------------------------------------------


AREA = "contest_entries"


@bp.post("/contests/<int:contest_id>/entries")
@login_required
def enter(contest_id: int) -> Page | Response:
    form = EntryForm()
    return _act(
        contest_id,
        lambda: services.enter(
            db.session(),
            contest_id,
            current(),
            text=form.text.data or "",
            file_name=uploads.store_delivered(AREA, contest_id, form.file.data),
        ),
        "Your entry is in. Good luck!",
        "entry_form",
        form,
    )


@bp.get("/contests/<int:contest_id>/entries/<int:entry_id>/file")
@login_required
def entry_file(contest_id: int, entry_id: int) -> Response:
    user = current()
    contest = services.visible(db.session(), contest_id, user)
    entry = next((e for e in contest.entries if e.id == entry_id), None)
    if (
        entry is None
        or not entry.file_name
        or user.id not in (contest.business_id, entry.creator_id)
    ):
        abort(404)
    return uploads.send_stored(AREA, contest.id, entry.file_name)


# --- judging ----------------------------------------------------------------------------------


def _judge(
    contest_id: int,
    form: FinalistsForm | WinnerForm,
    pick: Callable[[Session, int, User, Any], Contest],
    done: str,
    form_name: str,
) -> Page | Response:
    """The contest's business picks entries with ``form`` (``pick``: finalists or winner)."""
    user = current()
    contest = _own(contest_id, user)
    form.offer(contest)
    return _act(
        contest_id,
        lambda: pick(db.session(), contest.id, user, form.picked()),
        done,
        form_name,
        form,
    )


@bp.post("/contests/<int:contest_id>/finalists")
@login_required
def finalists(contest_id: int) -> Page | Response:
    form = FinalistsForm()
    return _judge(contest_id, form, services.pick_finalists, "Finalists saved.", "finalists_form")


@bp.post("/contests/<int:contest_id>/winner")
@login_required
def winner(contest_id: int) -> Page | Response:
    done = "Winner picked: the prize is released to them."
    return _judge(contest_id, WinnerForm(), services.pick_winner, done, "winner_form")

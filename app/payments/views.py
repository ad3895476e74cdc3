"""HTML pages for payments: milestones on the contract page, funding, delivery and review,
earnings and payouts for creators, payment history for businesses.

Views are thin: load and authorise (other people's milestones are 404), one service call in
``app.web.submit``/``attempt`` (a domain error undoes that call's writes), then form errors or
flash messages with a 4xx status.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app import audit, countries, uploads
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.contracts import lifecycle
from app.contracts.models import Contract, ContractStatus
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.forms import FORM_ERROR_STATUS
from app.payments import checkout, services
from app.payments.forms import ActionForm, ChangesForm, DeliverForm, RefundForm, SplitForm
from app.payments.models import ConnectedAccount, Milestone, MilestoneState
from app.security import external_url
from app.web import Page, attempt, content_security_policy, load_or_404, status_for, submit

bp = Blueprint("payments", __name__)

S = MilestoneState


# --- loading and authorising ----------------------------------------------------------------


def _milestone(milestone_id: int, user: User, *, side: str | None = None) -> Milestone:
    """The milestone if ``user`` is a party (or the given side: business/creator), else 404."""

    def allowed(milestone: Milestone) -> bool:
        contract = milestone.contract
        sides = {"business": {contract.business_id}, "creator": {contract.creator_id}}
        return user.id in sides.get(side or "", {contract.business_id, contract.creator_id})

    return load_or_404(Milestone, milestone_id, allowed)


# --- the contract page ----------------------------------------------------------------------


def _latest_notes(milestones: list[Milestone]) -> dict[int, str]:
    """The newest change request note of each milestone (shown to both parties)."""
    ids = [m.id for m in milestones if m.state == S.CHANGES_REQUESTED]
    if not ids:
        return {}
    events = audit.history(db.session(), "milestone", ids, verbs=("request_changes",))
    return {event.subject_id: event.note for event in events}


def render_contract(
    contract: Contract, user: User, *, status: int = 200, split_form: SplitForm | None = None
) -> Page:
    """The contract detail page with its milestones and the viewer's actions."""
    milestones = services.milestones_of(db.session(), contract.id)
    is_business = user.id == contract.business_id
    can_split = (
        is_business
        and contract.status == ContractStatus.ACTIVE
        and all(m.state == S.PENDING and not m.payment_intent_id for m in milestones)
    )
    if can_split and split_form is None:
        split_form = SplitForm(formdata=None)
        split_form.fill(milestones)
    context: dict[str, Any] = {
        "contract": contract,
        "is_business": is_business,
        "milestones": milestones,
        "notes": _latest_notes(milestones),
        "split_form": split_form if can_split else None,
        "active": contract.status == ContractStatus.ACTIVE,
        "stage": lifecycle.stage(contract, milestones),
        "steps": lifecycle.STEPS,
    }
    return render_template("contracts/detail.html", **context), status


def _back(milestone: Milestone) -> Response:
    return redirect(url_for("contracts.detail", contract_id=milestone.contract_id))


def _act(milestone: Milestone, action: Any, done: str) -> Page | Response:
    """A milestone action button: the contract page again, with the error or the news."""
    user = current()
    return submit(
        None,
        action,
        done=done,
        then=url_for("contracts.detail", contract_id=milestone.contract_id),
        render=lambda status: render_contract(milestone.contract, user, status=status),
        code=302,
    )


@bp.post("/contracts/<int:contract_id>/milestones")
@role_required(Role.BUSINESS)
def split(contract_id: int) -> Page | Response:
    user = current()
    contract = load_or_404(Contract, contract_id, lambda c: c.business_id == user.id)
    form, status = SplitForm(), FORM_ERROR_STATUS
    if form.validate_on_submit():
        try:
            with attempt():
                services.split(db.session(), contract.id, form.plans(), actor=user)
        except ValidationFailed as error:
            for message in form.apply(error):
                flash(message, "error")
        except DomainError as error:  # e.g. Conflict: a payment was started meanwhile
            flash(error.message, "error")
            status = status_for(error)
        else:
            flash("Milestones saved.", "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_contract(contract, user, status=status, split_form=form)


# --- funding --------------------------------------------------------------------------------


@bp.get("/milestones/<int:milestone_id>/fund")
@login_required
def fund(milestone_id: int) -> Page | Response:
    user = current()
    milestone = _milestone(milestone_id, user, side="business")
    if milestone.state != S.PENDING:
        flash(f"This milestone is already {milestone.state}.", "info")
        return _back(milestone)
    gateway = services.gateway_for(current_app)
    _funded, intent = services.start_funding(db.session(), gateway, milestone.id, business=user)
    context = {"milestone": milestone, "checkout": checkout.checkout_for(intent, gateway)}
    return render_template("payments/fund.html", **context)


@bp.get("/payments/return")
@login_required
def checkout_return() -> Response:
    """Where Stripe.js sends the buyer of any purchase: book it (if the webhook has not) and
    land on the purchase's page with the outcome."""
    outcome = checkout.finish(
        db.session(),
        services.gateway_for(current_app),
        request.args.get("payment_intent", ""),
        buyer=current(),
    )
    flash(outcome.message, outcome.level)
    return redirect(outcome.url, code=303)


# --- delivered files ------------------------------------------------------------------------

MAX_DELIVERY_FILES = 10
MAX_DELIVERY_FILE_BYTES = 20 * 1024 * 1024


def _upload_limits() -> tuple[int, int]:
    config = current_app.config
    return (
        int(config.get("DELIVERY_MAX_FILES", MAX_DELIVERY_FILES)),
        int(config.get("DELIVERY_MAX_FILE_BYTES", MAX_DELIVERY_FILE_BYTES)),
    )


AREA = "deliveries"


def _send_file(milestone_id: int, name: str) -> Response:
    # Always a download: a creator's .html or .svg must never render on our origin.
    return uploads.send(AREA, milestone_id, name, name.partition("_")[2] or name)


# --- delivery -------------------------------------------------------------------------------


@bp.route("/milestones/<int:milestone_id>/deliver", methods=["GET", "POST"])
@login_required
def deliver(milestone_id: int) -> Page | Response:
    user = current()
    milestone = _milestone(milestone_id, user, side="creator")
    form = DeliverForm()
    max_files, max_bytes = _upload_limits()

    def render(status: int) -> Page:
        context = {"milestone": milestone, "form": form, "limits": _upload_limits()}
        return render_template("payments/deliver.html", **context), status

    def deliver() -> Milestone:
        # Stored in the same attempt: a refused delivery leaves no files behind.
        stored = uploads.store(
            AREA, milestone.id, form.files.data or [], max_files=max_files, max_bytes=max_bytes
        )
        return services.deliver(
            db.session(),
            milestone.id,
            creator=user,
            message=form.message.data or "",
            files=[item.stored_name for item in stored],
        )

    return submit(  # a GET (form not submitted) renders the page with 200
        form,
        deliver,
        done="Delivered. The business has been asked to review it.",
        then=url_for("contracts.detail", contract_id=milestone.contract_id),
        render=render,
        code=302,
    )


@bp.get("/milestones/<int:milestone_id>/files/<name>")
@login_required
def download(milestone_id: int, name: str) -> Response:
    milestone = _milestone(milestone_id, current())
    delivered = set(milestone.delivery_files)
    for event in audit.history(db.session(), "milestone", milestone.id, verbs=("deliver",)):
        delivered.update(event.data.get("files", []))
    if name not in delivered:
        abort(404)
    return _send_file(milestone.id, name)


# --- review and refund ----------------------------------------------------------------------


@bp.post("/milestones/<int:milestone_id>/accept")
@login_required
def accept(milestone_id: int) -> Page | Response:
    user = current()
    milestone = _milestone(milestone_id, user, side="business")
    if not ActionForm().validate_on_submit():
        abort(400)
    return _act(
        milestone,
        lambda: services.accept(db.session(), milestone.id, business=user),
        "Delivery accepted: the payment is released to the creator.",
    )


@bp.post("/milestones/<int:milestone_id>/request-changes")
@login_required
def request_changes(milestone_id: int) -> Page | Response:
    user = current()
    milestone = _milestone(milestone_id, user, side="business")
    form = ChangesForm()

    def request_changes() -> Milestone:
        if not form.validate_on_submit():
            raise ValidationFailed({"note": form.note.errors or ["Say what should change."]})
        return services.request_changes(
            db.session(), milestone.id, business=user, note=form.note.data or ""
        )

    return _act(milestone, request_changes, "Changes requested.")


@bp.post("/milestones/<int:milestone_id>/refund")
@login_required
def refund(milestone_id: int) -> Page | Response:
    user = current()
    milestone = _milestone(milestone_id, user)
    form = RefundForm()

    asking = user.id == milestone.contract.business_id and not (user.is_admin or user.is_moderator)

    def refund() -> object:
        if not form.validate_on_submit():
            raise ValidationFailed({"reason": form.reason.errors or ["Invalid request."]})
        reason = (form.reason.data or "").strip()
        if asking:  # the business asks; the creator's agreement is the refund itself
            return services.request_refund(db.session(), milestone.id, business=user, reason=reason)
        return services.refund(
            db.session(), services.gateway_for(current_app), milestone.id, actor=user, reason=reason
        )

    done = (
        "The creator has been asked to agree to the refund. If they do not, open a dispute."
        if asking
        else "The payment was refunded to the business."
    )
    return _act(milestone, refund, done)


# --- creators: earnings and payouts ---------------------------------------------------------


def _onboarding_origin() -> str:
    """Where account links point: the emulator in local mode, else Stripe's Connect site."""
    base = current_app.config.get("STRIPE_API_BASE")
    if base:
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}"
    return "https://connect.stripe.com"


@bp.get("/earnings")
@role_required(Role.CREATOR)
def earnings() -> Response:
    user = current()
    report = services.earnings(db.session(), user.id)
    currencies = sorted(
        {*report.pending, *report.paid, *report.in_escrow, *(c.currency for c in report.clearing)}
    )
    from app.receipts.services import earnings_ledger

    page = render_template(
        "payments/earnings.html",
        report=report,
        ledger_lines=earnings_ledger(db.session(), user.id),
        currencies=currencies,
        account=db.session.get(ConnectedAccount, user.id),
        form=ActionForm(),
        connect_countries=countries.connect_choices(),
        profile_country=user.profile.country if user.profile else None,
    )
    response = current_app.make_response(page)
    # "Set up payouts" posts here and is redirected to the account link; browsers apply
    # form-action to that redirect, so this page allows the link's origin as well.
    response.headers["Content-Security-Policy"] = content_security_policy().replace(
        "form-action 'self'", f"form-action 'self' {_onboarding_origin()}"
    )
    return response


@bp.post("/payouts/onboarding")
@role_required(Role.CREATOR)
def start_onboarding() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    country = (request.form.get("country") or "").strip().upper() or None
    try:
        with attempt():
            url = _onboarding_link(country)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("payments.earnings"))
    return redirect(url, code=303)


def _onboarding_link(country: str | None = None) -> str:
    return services.start_onboarding(
        db.session(),
        services.gateway_for(current_app),
        creator=current(),
        # An expired or used link brings the creator to refresh_url, which mints a new one.
        refresh_url=external_url("payments.onboarding_refresh"),
        return_url=external_url("payments.onboarding_return"),
        country=country,
    ).url


@bp.get("/payouts/onboarding/refresh")
@role_required(Role.CREATOR)
def onboarding_refresh() -> Response:
    """Stripe sends the creator here when their link expired or was used: a new link."""
    if db.session.get(ConnectedAccount, current().id) is None:
        return redirect(url_for("payments.earnings"))
    return redirect(_onboarding_link(), code=303)


@bp.post("/payouts/dashboard")
@role_required(Role.CREATOR)
def express_dashboard() -> Response:
    """The creator's Stripe Express dashboard (payout schedule, bank account, tax forms)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        url = services.dashboard_link(
            db.session(), services.gateway_for(current_app), creator=current()
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("payments.earnings"))
    return redirect(url, code=303)


@bp.get("/payouts/onboarding/return")
@role_required(Role.CREATOR)
def onboarding_return() -> Response:
    account = db.session.get(ConnectedAccount, current().id)
    if account is None:
        flash("Payouts are not set up yet.", "info")
        return redirect(url_for("payments.earnings"))
    account = services.refresh_account(
        db.session(), services.gateway_for(current_app), account.stripe_account_id
    )
    if account is not None and account.ready:
        flash("Payouts are set up: cleared earnings are transferred to your account.", "success")
    else:
        flash("Stripe still needs some details before payouts can start.", "info")
    return redirect(url_for("payments.earnings"))


# --- businesses: payment history ------------------------------------------------------------


@bp.get("/payments")
@role_required(Role.BUSINESS)
def history() -> str:
    from app.receipts.services import spend

    return render_template("payments/history.html", lines=spend(db.session(), current().id))

"""Start-up registration of notifications with the kernel (called by create_app): every
domain event that asks someone to act or tells them their money moved becomes a notification
for the person concerned, and nobody else. Domains publish; none imports this package.

Recipients are read from the event's subject (the contract's other party, the brief's
business, the asset's creator...); the actor of an event is never told about their own act.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlalchemy.orm import Session

from app import clock, events, jobs
from app.contests import chargebacks as contest_chargebacks
from app.contests.models import ContestEntry
from app.contracts.models import Contract
from app.money import format_minor
from app.notifications import pool_notices, services
from app.notifications.services import notify, path_for
from app.payments.models import Milestone, MilestoneState
from app.payments.settings import review_window
from app.templating import duration

AUTO_ACCEPT_SOON_JOB = "notification_auto_accept_soon"
AUTO_ACCEPT_WARNING = timedelta(hours=24)  # how long before auto-accept the business hears

Handler = Callable[[Session, events.Event], None]


def register() -> None:
    jobs.register(services.EMAIL_JOB, services.run_email_job)
    jobs.register(services.DIGEST_JOB, services.run_digest_job)
    jobs.register(AUTO_ACCEPT_SOON_JOB, run_auto_accept_soon_job)
    for name, handler in SUBSCRIPTIONS.items():
        events.subscribe(name, handler)


def _money(amount: int, currency: str) -> str:
    return format_minor(amount, currency)


def _contract_link(contract_id: int) -> str:
    return path_for("contracts.detail", contract_id=contract_id)


# --- contracts and milestones ----------------------------------------------------------------


def on_contract_created(session: Session, event: events.Event) -> None:
    contract: Contract = event.subject
    link = _contract_link(contract.id)
    if "proposal_id" in event.data:
        notify(
            session,
            contract.creator_id,
            "proposal_accepted",
            title=f"Your proposal was accepted: {contract.title}",
            body="A contract was made. Start work once the business funds the first milestone.",
            link=link,
            subject=("contract", contract.id),
        )
    elif "tier" in event.data or "negotiation_id" in event.data:
        notify(
            session,
            contract.creator_id,
            "order_placed",
            title=f"New order: {contract.title}",
            body=(
                f"{_money(contract.total_minor, contract.currency)}, delivery in "
                f"{contract.delivery_days} days. Work starts when the business funds it."
            ),
            link=link,
            subject=("contract", contract.id),
        )


def _milestone_note(
    session: Session, milestone: Milestone, to: str, kind: str, title: str, body: str = ""
) -> None:
    contract = milestone.contract
    recipient = contract.creator_id if to == "creator" else contract.business_id
    notify(
        session,
        recipient,
        kind,
        title=f"{title}: {contract.title}",
        body=body,
        link=_contract_link(contract.id),
        subject=("milestone", milestone.id),
    )


def on_milestone_fund(session: Session, event: events.Event) -> None:
    m: Milestone = event.subject
    amount = _money(m.amount_minor, m.currency)
    _milestone_note(
        session,
        m,
        "creator",
        "order_funded",
        "Funded, you can start",
        f"{amount} for “{m.title}” is held in escrow until the work is accepted.",
    )


def on_milestone_deliver(session: Session, event: events.Event) -> None:
    m: Milestone = event.subject
    window = review_window()
    _milestone_note(
        session,
        m,
        "business",
        "delivery",
        "Work delivered for your review",
        f"Accept it or ask for changes; without an answer it is accepted automatically "
        f"in {duration(window)}.",
    )
    warn_at = clock.now() + window - AUTO_ACCEPT_WARNING
    if window > AUTO_ACCEPT_WARNING:
        jobs.schedule(
            session,
            kind=AUTO_ACCEPT_SOON_JOB,
            subject_type="milestone",
            subject_id=m.id,
            due_at=warn_at,
            key=f"milestone-{m.id}-auto-accept-soon-{m.revisions_used}",
        )


def run_auto_accept_soon_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    """A day before silence accepts a delivery, the business is reminded (once per review)."""
    m = session.get(Milestone, job.subject_id)
    if m is None or m.state is not MilestoneState.DELIVERED or m.review_due_at is None:
        return "nothing to do"
    left = m.review_due_at - clock.now()
    if left <= timedelta(0):
        return "already due"
    _milestone_note(
        session,
        m,
        "business",
        "auto_accept_soon",
        "Accepted automatically soon",
        f"“{m.title}” is accepted and paid to the creator in {duration(left)} "
        "unless you accept it or ask for changes first.",
    )
    return "reminded"


def on_milestone_request_changes(session: Session, event: events.Event) -> None:
    note = str(event.data.get("note", ""))
    _milestone_note(
        session, event.subject, "creator", "changes_requested", "Changes requested", note
    )


def on_milestone_accepted(session: Session, event: events.Event) -> None:
    m: Milestone = event.subject
    how = " automatically (the review window passed)" if event.action == "auto_accept" else ""
    _milestone_note(
        session,
        m,
        "creator",
        "accepted",
        "Work accepted",
        f"“{m.title}” was accepted{how}. Your payout is scheduled after the clearance hold; "
        "you can now review the business.",
    )


def on_refund_requested(session: Session, event: events.Event) -> None:
    m: Milestone = event.subject
    reason = str(event.data.get("reason", ""))
    _milestone_note(
        session,
        m,
        "creator",
        "refund_requested",
        "The business asks for a refund",
        (f"Reason: {reason}. " if reason else "")
        + "Agree by refunding on the contract page; otherwise they may open a dispute.",
    )


def on_refunded(session: Session, event: events.Event) -> None:
    m: Milestone = event.subject
    _milestone_note(
        session,
        m,
        "business",
        "refunded",
        "Refunded to you",
        f"{_money(m.funded_minor - m.refunded_minor or m.funded_minor, m.currency)} for "
        f"“{m.title}” goes back to "
        "your card (Stripe takes 5–10 days to show it).",
    )


# --- payouts ---------------------------------------------------------------------------------


def on_payout(session: Session, event: events.Event) -> None:
    payout = event.subject
    amount = _money(payout.net_minor, payout.currency)
    if event.action == "pay":
        kind, title, body = "payout_sent", f"Payout sent: {amount}", payout.title
    else:
        reason = str(event.data.get("reason", "")) or payout.blocked_reason
        kind, title, body = "payout_held", f"Payout on hold: {amount}", reason
    notify(
        session,
        payout.creator_id,
        kind,
        title=title,
        body=body,
        link=path_for("payments.earnings"),
        subject=("payout", payout.id),
    )


# --- briefs and proposals --------------------------------------------------------------------


def on_invited(session: Session, event: events.Event) -> None:
    brief = event.subject
    notify(
        session,
        int(event.data["creator_id"]),
        "invitation",
        title=f"You are invited to propose: {brief.title}",
        body="A business thinks your work fits this brief.",
        link=path_for("briefs.detail", brief_id=brief.id),
        subject=("brief", brief.id),
    )


def on_proposal(session: Session, event: events.Event) -> None:
    proposal = event.subject
    brief = proposal.brief
    notify(
        session,
        brief.business_id,
        "proposal",
        title=f"New proposal on {brief.title}",
        body=f"{_money(proposal.price_minor, proposal.currency)} in {proposal.delivery_days} days.",
        link=path_for("briefs.detail", brief_id=brief.id),
        subject=("proposal", proposal.id),
    )


# --- disputes --------------------------------------------------------------------------------


def _parties(session: Session, dispute: object) -> tuple[int, int]:
    contract = session.get(Contract, dispute.contract_id)  # type: ignore[attr-defined]
    assert contract is not None
    return contract.business_id, contract.creator_id


def _dispute_note(
    session: Session, dispute: object, to: Iterable[int | None], kind: str, title: str, body: str
) -> None:
    link = path_for("disputes.detail", dispute_id=dispute.id)  # type: ignore[attr-defined]
    for user_id in dict.fromkeys(u for u in to if u is not None):
        notify(
            session,
            user_id,
            kind,
            title=title,
            body=body,
            link=link,
            subject=("dispute", dispute.id),  # type: ignore[attr-defined]
        )


def on_dispute_open(session: Session, event: events.Event) -> None:
    dispute = event.subject
    others = [p for p in _parties(session, dispute) if p != event.actor_id]
    chargeback = event.actor_id is None
    _dispute_note(
        session,
        dispute,
        others,
        "dispute_opened",
        "A payment was disputed with the bank" if chargeback else "A dispute was opened",
        "" if chargeback else f"Reason: {dispute.reason[:300]}. Please respond with your side.",
    )


def on_dispute_respond(session: Session, event: events.Event) -> None:
    dispute = event.subject
    _dispute_note(
        session,
        dispute,
        [dispute.opened_by_id, dispute.moderator_id],
        "dispute_answered",
        "The dispute was answered",
        "The other party gave their side; a moderator reviews the case.",
    )


DECISIONS = {
    "resolve_release": "The money is released to the creator.",
    "resolve_refund": "The money is refunded to the business.",
    "resolve_split": "The money is split between both sides.",
    "settle": "Both sides agreed a settlement.",
    "close_refunded": "The payment was refunded, so the dispute is closed.",
}


def on_dispute_decided(session: Session, event: events.Event) -> None:
    dispute = event.subject
    others = [p for p in _parties(session, dispute) if p != event.actor_id]
    _dispute_note(
        session,
        dispute,
        others,
        "dispute_decided",
        "The dispute was decided",
        DECISIONS[event.action],
    )


# --- reviews, negotiation --------------------------------------------------------------------


def on_review(session: Session, event: events.Event) -> None:
    review = event.subject
    notify(
        session,
        review.reviewee_id,
        "review_received",
        title="You received a review",
        body="Reviews are double-blind: it is shown once you have left yours or the window ends.",
        link=path_for("reviews.write", contract_id=review.contract_id),
        subject=("review", review.id),
    )


def on_round(session: Session, event: events.Event) -> None:
    from app.negotiation.models import Negotiation

    rnd = event.subject
    negotiation = session.get(Negotiation, rnd.negotiation_id)
    assert negotiation is not None
    other = (
        negotiation.creator_id
        if rnd.author_id == negotiation.business_id
        else negotiation.business_id
    )
    notify(
        session,
        other,
        "counter_offer",
        title="A new offer in your negotiation",
        body=f"{_money(rnd.price_minor, rnd.currency)} in {rnd.delivery_days} days. "
        "Accept, decline or counter before it expires.",
        link=path_for("negotiation.detail", negotiation_id=negotiation.id),
        subject=("negotiation", negotiation.id),
    )


# --- contests --------------------------------------------------------------------------------


def _entry_creators(session: Session, entry_ids: Iterable[int]) -> list[int]:
    creators = [session.get(ContestEntry, int(i)) for i in entry_ids]
    return list(dict.fromkeys(e.creator_id for e in creators if e is not None))


def on_contest(session: Session, event: events.Event) -> None:
    contest = event.subject
    link = path_for("contests.detail", contest_id=contest.id)
    subject = ("contest", contest.id)
    if event.action == "entered":
        notify(
            session,
            contest.business_id,
            "contest_entry",
            title=f"New entry in {contest.title}",
            link=link,
            subject=subject,
        )
        return
    if event.action == "finalists":
        for creator_id in _entry_creators(session, event.data["entry_ids"]):
            notify(
                session,
                creator_id,
                "contest_finalist",
                title=f"Your entry is a finalist in {contest.title}",
                link=link,
                subject=subject,
            )
        return
    ids = [event.data["entry_id"]] if event.action == "award" else event.data["entries"]
    for creator_id in _entry_creators(session, ids):
        notify(
            session,
            creator_id,
            "contest_winner",
            title=f"You won {contest.title}",
            body="The prize is released to you"
            + (" (shared with other finalists)." if event.action == "split" else ".")
            + " It is paid out after the clearance hold.",
            link=path_for("payments.earnings"),
            subject=subject,
        )


def on_contest_chargeback(session: Session, event: events.Event) -> None:
    """A chargeback on the prize payment opened, lost or won: the business and every creator
    who entered hear what it means for them (an awarded creator: its prize)."""
    contest = event.subject
    link = path_for("contests.detail", contest_id=contest.id)
    title = contest.title
    if event.action == "dispute":
        business = f"Chargeback opened on {title}: the contest is frozen"
        creator = f"{title} is frozen: the prize payment is disputed by the business's bank"
    elif event.action == "charge_back":
        business = f"Chargeback on {title} decided: the prize went back to you"
        creator = f"{title} ended: the prize was charged back to the business"
    else:
        business = f"Chargeback on {title} rejected by your bank: the contest goes on"
        creator = f"{title} goes on: the chargeback on its prize was rejected"
    notify(
        session,
        contest.business_id,
        "contest_chargeback",
        title=business,
        link=link,
        subject=("contest", contest.id),
    )
    awarded = {a.creator_id for a in contest.awards}
    for creator_id in dict.fromkeys(e.creator_id for e in contest.entries):
        text = creator
        if event.action == "charge_back" and creator_id in awarded:
            text = f"Your prize for {title} was taken back (chargeback)"
        notify(
            session,
            creator_id,
            "contest_chargeback",
            title=text,
            link=link,
            subject=("contest", contest.id),
        )


# --- media, licences, campaigns --------------------------------------------------------------


def on_media(session: Session, event: events.Event) -> None:
    asset = event.subject
    approved = event.action == "approve"
    notify(
        session,
        asset.creator_id,
        "media_approved" if approved else "media_rejected",
        title=f"Your media was {'approved' if approved else 'rejected'}: {asset.title}",
        body="It is now for sale." if approved else str(event.data.get("reason", "")),
        link=path_for("media.mine"),
        subject=("media", asset.id),
    )


def on_licence_sold(session: Session, event: events.Event) -> None:
    licence = event.subject
    notify(
        session,
        licence.creator_id,
        "licence_sold",
        title="A licence of your media was sold",
        body=f"{_money(licence.price_minor, licence.currency)}, paid out after the clearance hold.",
        link=path_for("payments.earnings"),
        subject=("media_license", licence.id),
    )


def on_campaign(session: Session, event: events.Event) -> None:
    campaign = event.subject
    link = path_for("campaigns.detail", campaign_id=campaign.id)
    subject = ("campaign", campaign.id)
    what = {
        "ordered": (campaign.creator_id, "order_placed", "New sponsored post order"),
        "submit_draft": (campaign.business_id, "campaign_draft", "A draft waits for approval"),
        "approve": (campaign.creator_id, "campaign_approved", "Your draft was approved: post it"),
        "request_changes": (campaign.creator_id, "changes_requested", "Changes asked on a draft"),
    }.get(event.action)
    if what is not None:
        recipient, kind, title = what
        notify(session, recipient, kind, title=title, link=link, subject=subject)


SUBSCRIPTIONS: dict[str, Handler] = {
    "contract.created": on_contract_created,
    "milestone.fund": on_milestone_fund,
    "milestone.deliver": on_milestone_deliver,
    "milestone.request_changes": on_milestone_request_changes,
    "milestone.accept": on_milestone_accepted,
    "milestone.auto_accept": on_milestone_accepted,
    "milestone.refund_requested": on_refund_requested,
    "milestone.refund": on_refunded,
    "payout.pay": on_payout,
    "payout.held": on_payout,
    "brief.creator_invited": on_invited,
    "proposal.submitted": on_proposal,
    "dispute.open": on_dispute_open,
    "dispute.respond": on_dispute_respond,
    **{f"dispute.{action}": on_dispute_decided for action in DECISIONS},
    "review.submitted": on_review,
    "negotiation_round.proposed": on_round,
    "contest.entered": on_contest,
    "contest.finalists": on_contest,
    "contest.award": on_contest,
    "contest.split": on_contest,
    "contest.dispute": on_contest_chargeback,
    "contest.charge_back": on_contest_chargeback,
    **{f"contest.{action}": on_contest_chargeback for action in contest_chargebacks.RESUMED},
    "media.approve": on_media,
    "media.reject": on_media,
    "media_license.sell": on_licence_sold,
    "campaign.ordered": on_campaign,
    "campaign.submit_draft": on_campaign,
    "campaign.approve": on_campaign,
    "campaign.request_changes": on_campaign,
    **pool_notices.SUBSCRIPTIONS,
}

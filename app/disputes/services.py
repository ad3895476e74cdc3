"""Dispute services: open (party or chargeback), respond, evidence, claim, settle, resolve,
withdraw. Each takes a Session, flushes, never commits; each locks the milestone then the
dispute (``states.lock_dispute``) and checks the transition table before any side effect.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.disputes import money, timers
from app.disputes import states as st
from app.disputes.models import Dispute, DisputeEvidence, DisputeOrigin
from app.disputes.models import DisputeState as D
from app.disputes.settings import final_deadline, response_window, review_sla
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.payments import delivery
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone, MilestoneState
from app.payments.settings import review_window
from app.payments.states import ACTIVE as DISPUTABLE
from app.payments.states import MILESTONE, lock_milestone
from app.uploads import StoredFile

MAX_TEXT = 4000
OUTCOMES = {"release": "resolve_release", "refund": "resolve_refund", "split": "resolve_split"}


def _text(value: str, field: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed({field: ["This field is required."]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({field: [f"At most {MAX_TEXT} characters."]})
    return text


def is_staff(user: User) -> bool:
    return bool(user.is_moderator or user.is_admin)


def may_view(dispute: Dispute, user: User) -> bool:
    return user.id in dispute.party_ids() or is_staff(user)


def _party(dispute: Dispute, user: User) -> None:
    if user.id not in dispute.party_ids():
        raise NotFound("No such dispute.")
    if user.suspended_at is not None:
        raise PermissionDenied("Suspended accounts cannot act on disputes.")


def _add_evidence(
    session: Session, dispute: Dispute, author: User, body: str, files: Sequence[StoredFile]
) -> None:
    if body:
        session.add(DisputeEvidence(dispute_id=dispute.id, author_id=author.id, body=body))
    session.add_all(
        DisputeEvidence(dispute_id=dispute.id, author_id=author.id, **stored.row_fields())
        for stored in files
    )
    session.flush()


def open_dispute(
    session: Session,
    milestone_id: int,
    *,
    user: User,
    reason: str,
    evidence: str = "",
    files: Sequence[StoredFile] = (),
) -> Dispute:
    """A party disputes a funded, delivered or changes-requested milestone.

    Freezes the milestone (payments "dispute": no auto-release, no payout) and gives the other
    party DISPUTE_RESPONSE_DAYS to respond. Raises NotFound (not a party), PermissionDenied
    (suspended), ValidationFailed (no reason), InvalidTransition (milestone not disputable),
    Conflict (already disputed).
    """
    reason = _text(reason, "reason")
    evidence = _text(evidence, "evidence", required=False)
    milestone = lock_milestone(session, milestone_id)
    contract = milestone.contract
    if user.id not in (contract.business_id, contract.creator_id):
        raise NotFound("No such milestone.")
    if user.suspended_at is not None:
        raise PermissionDenied("Suspended accounts cannot open disputes.")
    if active_for(session, milestone.id) is not None:
        raise Conflict("This milestone is already disputed.")
    if milestone.state not in DISPUTABLE:
        raise InvalidTransition(f"A milestone that is {milestone.state} cannot be disputed.")
    now = clock.now()
    dispute = Dispute(
        milestone_id=milestone.id,
        contract_id=contract.id,
        active_milestone_id=milestone.id,
        origin=DisputeOrigin.PARTY,
        state=D.OPEN,
        opened_by_id=user.id,
        respondent_id=contract.creator_id
        if user.id == contract.business_id
        else contract.business_id,
        reason=reason,
        milestone_state_before=str(milestone.state),
        response_due_at=now + response_window(),
        final_due_at=now + final_deadline(),
    )
    session.add(dispute)
    session.flush()
    st.record(session, dispute, "open", actor_id=user.id, note=reason, milestone_id=milestone.id)
    MILESTONE.move(session, milestone, "dispute", actor_id=user.id, dispute_id=dispute.id)
    st.transition(session, dispute, "request_response", actor_id=None)
    _add_evidence(session, dispute, user, evidence, files)
    timers.schedule_response(session, dispute)
    timers.schedule_final(session, dispute)
    return dispute


def active_for(session: Session, milestone_id: int) -> Dispute | None:
    return session.scalar(select(Dispute).where(Dispute.active_milestone_id == milestone_id))


def open_from_chargeback(
    session: Session, milestone: Milestone, *, stripe_dispute_id: str, state_before: str
) -> Dispute:
    """A Stripe chargeback on a (locked) milestone: a platform-side dispute for moderators.

    Idempotent per Stripe dispute id; joins a party dispute already open on the milestone.
    """
    existing = session.scalar(select(Dispute).where(Dispute.stripe_dispute_id == stripe_dispute_id))
    if existing is not None:
        return existing
    active = active_for(session, milestone.id)
    if active is not None:
        active.stripe_dispute_id = stripe_dispute_id
        st.record(session, active, "chargeback", actor_id=None, stripe_dispute=stripe_dispute_id)
        return active
    now = clock.now()
    dispute = Dispute(
        milestone_id=milestone.id,
        contract_id=milestone.contract_id,
        active_milestone_id=milestone.id,
        origin=DisputeOrigin.CHARGEBACK,
        state=D.OPEN,
        stripe_dispute_id=stripe_dispute_id,
        reason="The business's bank opened a chargeback on this payment.",
        milestone_state_before=state_before,
        review_due_at=now + review_sla(),
        final_due_at=now + final_deadline(),
    )
    session.add(dispute)
    session.flush()
    st.record(session, dispute, "open", actor_id=None, stripe_dispute=stripe_dispute_id)
    st.transition(session, dispute, "escalate", actor_id=None)
    timers.schedule_review(session, dispute)
    timers.schedule_final(session, dispute)
    return dispute


def respond(
    session: Session,
    dispute_id: int,
    *,
    user: User,
    response: str,
    files: Sequence[StoredFile] = (),
) -> Dispute:
    """The other party answers; the dispute goes to the moderators' queue.

    Raises NotFound, PermissionDenied (the opener, or suspended), ValidationFailed,
    InvalidTransition (not awaiting a response).
    """
    text = _text(response, "response")
    dispute = st.lock_dispute(session, dispute_id)
    _party(dispute, user)
    if user.id != dispute.respondent_id:
        raise PermissionDenied("The other party responds to a dispute.")
    st.transition(session, dispute, "respond", actor_id=user.id, note=text)
    dispute.response = text
    dispute.responded_at = clock.now()
    dispute.review_due_at = clock.now() + review_sla()
    _add_evidence(session, dispute, user, "", files)
    timers.schedule_review(session, dispute)
    return dispute


def add_evidence(
    session: Session, dispute_id: int, *, user: User, body: str, files: Sequence[StoredFile] = ()
) -> Dispute:
    """Either party adds a statement or files while the dispute is active."""
    text = _text(body, "body", required=not files)
    dispute = st.lock_dispute(session, dispute_id)
    _party(dispute, user)
    if not dispute.active:
        raise InvalidTransition("This dispute is closed.")
    _add_evidence(session, dispute, user, text, files)
    st.record(session, dispute, "evidence", actor_id=user.id, note=text, files=len(files))
    return dispute


def claim(session: Session, dispute_id: int, *, moderator: User) -> Dispute:
    """A moderator takes the dispute (and may then read the contract's messages)."""
    if not is_staff(moderator):
        raise PermissionDenied("Only moderators handle disputes.")
    dispute = st.lock_dispute(session, dispute_id)
    if not dispute.active:
        raise InvalidTransition("This dispute is closed.")
    if moderator.id in dispute.party_ids():
        raise PermissionDenied("You are a party of this contract.")
    if dispute.moderator_id != moderator.id:
        previous = dispute.moderator_id
        dispute.moderator_id = moderator.id
        st.record(session, dispute, "claim", actor_id=moderator.id, previous=previous)
    return dispute


def resolve(
    session: Session,
    gateway: PaymentGateway,
    dispute_id: int,
    *,
    moderator: User,
    outcome: str,
    note: str,
    refund_minor: int | None = None,
) -> Dispute:
    """A moderator decides: "release" (to the creator), "refund" (to the business) or "split"
    (``refund_minor`` to the business, the rest to the creator). Moves the money once.

    Raises PermissionDenied (not staff, or a party), ValidationFailed (no reason, bad
    amount), InvalidTransition (not under review, e.g. already resolved), Conflict,
    GatewayError (nothing is recorded then; retry).
    """
    if not is_staff(moderator):
        raise PermissionDenied("Only moderators resolve disputes.")
    if outcome not in OUTCOMES:
        raise ValidationFailed({"outcome": ["Choose release, refund or split."]})
    why = _text(note, "note")
    dispute = st.lock_dispute(session, dispute_id)
    if moderator.id in dispute.party_ids():
        raise PermissionDenied("You are a party of this contract.")
    action = OUTCOMES[outcome]
    if not st.allowed(action, dispute.state):
        raise InvalidTransition(f"This dispute is {dispute.state.value.replace('_', ' ')}.")
    milestone = dispute.milestone
    if outcome == "split":
        money.check_split(milestone, refund_minor if refund_minor is not None else -1)
    dispute.moderator_id = dispute.moderator_id or moderator.id
    if outcome == "release":
        result = money.release(session, milestone, actor_id=moderator.id, dispute_id=dispute.id)
    elif outcome == "refund":
        result = money.refund(session, gateway, milestone, actor=moderator, reason=why)
    else:
        assert refund_minor is not None
        result = money.split(
            session,
            gateway,
            milestone,
            refund_minor=refund_minor,
            actor_id=moderator.id,
            reason=why,
        )
    money.record_resolution(session, dispute, moderator.id, why, result)
    st.transition(
        session,
        dispute,
        action,
        actor_id=moderator.id,
        note=why,
        refund_minor=result.refund_minor,
        release_minor=result.release_minor,
    )
    return dispute


def propose_settlement(
    session: Session, dispute_id: int, *, user: User, refund_minor: int
) -> Dispute:
    """A party proposes how to share the money: ``refund_minor`` back to the business, the
    rest to the creator. Replaces any earlier proposal."""
    dispute = st.lock_dispute(session, dispute_id)
    _party(dispute, user)
    if dispute.state not in st.REVIEWABLE:
        raise InvalidTransition("This dispute can no longer be settled.")
    total = money.disputed_amount(dispute.milestone)
    if isinstance(refund_minor, bool) or not isinstance(refund_minor, int):
        raise ValidationFailed({"refund_minor": ["A whole number of minor units (cents)."]})
    if not 0 <= refund_minor <= total:
        raise ValidationFailed({"refund_minor": [f"Between 0 and {total}."]})
    if money.held(dispute.milestone) == 0 and refund_minor not in (0, total):
        raise ValidationFailed({"refund_minor": ["Only all or nothing once released."]})
    dispute.settlement_refund_minor = refund_minor
    dispute.settlement_proposed_by_id = user.id
    st.record(session, dispute, "propose_settlement", actor_id=user.id, refund_minor=refund_minor)
    return dispute


def accept_settlement(
    session: Session,
    gateway: PaymentGateway,
    dispute_id: int,
    *,
    user: User,
    refund_minor: int,
) -> Dispute:
    """The other party accepts the proposal (``refund_minor`` must match it, so a proposal
    changed meanwhile is not accepted by accident). Moves the money and closes the dispute.
    """
    dispute = st.lock_dispute(session, dispute_id)
    _party(dispute, user)
    if not st.allowed("settle", dispute.state):
        raise InvalidTransition("This dispute can no longer be settled.")
    proposed = dispute.settlement_refund_minor
    if proposed is None or dispute.settlement_proposed_by_id is None:
        raise Conflict("There is no settlement proposal to accept.")
    if dispute.settlement_proposed_by_id == user.id:
        raise PermissionDenied("The other party accepts your proposal.")
    if proposed != refund_minor:
        raise Conflict("The proposal changed; review it again.")
    result = money.by_refund_amount(
        session,
        gateway,
        dispute.milestone,
        refund_minor=proposed,
        actor=None,
        dispute_id=dispute.id,
        reason="settled by agreement",
    )
    money.record_resolution(session, dispute, user.id, "Settled by agreement.", result)
    st.transition(
        session,
        dispute,
        "settle",
        actor_id=user.id,
        refund_minor=result.refund_minor,
        release_minor=result.release_minor,
    )
    return dispute


def withdraw(session: Session, dispute_id: int, *, user: User) -> Dispute:
    """The opener drops the dispute; the milestone continues where it stopped (a delivery
    gets a fresh review window). Raises NotFound, PermissionDenied, InvalidTransition."""
    dispute = st.lock_dispute(session, dispute_id)
    _party(dispute, user)
    if user.id != dispute.opened_by_id:
        raise PermissionDenied("Only the party who opened the dispute can withdraw it.")
    if not st.allowed("withdraw", dispute.state):
        raise InvalidTransition("This dispute is closed.")
    milestone = dispute.milestone
    before = dispute.milestone_state_before
    if before not in {s.value for s in DISPUTABLE} or milestone.state != MilestoneState.DISPUTED:
        raise Conflict("This payment cannot go back to where it was; ask a moderator.")
    MILESTONE.move(session, milestone, f"resume_{before}", actor_id=user.id)
    if before == MilestoneState.DELIVERED:
        milestone.review_due_at = clock.now() + review_window()
        delivery.schedule_auto_accept(session, milestone, f"after-dispute-{dispute.id}")
    dispute.resolved_at = clock.now()
    dispute.resolved_by_id = user.id
    st.transition(session, dispute, "withdraw", actor_id=user.id)
    return dispute

"""The brief and proposal state machines: explicit transition tables, one audited mover each.

Callers check permissions first; these functions only know which moves are legal. Every move
writes an audit row in the same unit of work.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import audit, clock
from app.accounts.models import User
from app.briefs.models import Brief, BriefStatus, Proposal, ProposalStatus
from app.errors import InvalidTransition

BRIEF_TRANSITIONS: dict[BriefStatus, frozenset[BriefStatus]] = {
    BriefStatus.DRAFT: frozenset({BriefStatus.OPEN, BriefStatus.CANCELLED}),
    # open -> in_progress happens only by accepting a proposal (services.accept_proposal).
    BriefStatus.OPEN: frozenset(
        {BriefStatus.IN_PROGRESS, BriefStatus.CLOSED, BriefStatus.CANCELLED}
    ),
    BriefStatus.IN_PROGRESS: frozenset({BriefStatus.CLOSED}),
    BriefStatus.CLOSED: frozenset(),
    BriefStatus.CANCELLED: frozenset(),
}

PROPOSAL_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.SUBMITTED: frozenset(
        {
            ProposalStatus.SHORTLISTED,
            ProposalStatus.DECLINED,
            ProposalStatus.ACCEPTED,
            ProposalStatus.WITHDRAWN,
        }
    ),
    ProposalStatus.SHORTLISTED: frozenset(
        {ProposalStatus.DECLINED, ProposalStatus.ACCEPTED, ProposalStatus.WITHDRAWN}
    ),
    ProposalStatus.DECLINED: frozenset(),
    ProposalStatus.ACCEPTED: frozenset(),
    ProposalStatus.WITHDRAWN: frozenset(),
}

# Briefs whose content the owner may still change.
EDITABLE_BRIEF_STATUSES = frozenset({BriefStatus.DRAFT, BriefStatus.OPEN})


def can_move_brief(brief: Brief, to: BriefStatus) -> bool:
    return to in BRIEF_TRANSITIONS[BriefStatus(brief.status)]


def can_move_proposal(proposal: Proposal, to: ProposalStatus) -> bool:
    return to in PROPOSAL_TRANSITIONS[ProposalStatus(proposal.status)]


def move_brief(session: Session, brief: Brief, to: BriefStatus, *, actor: User) -> None:
    """Change ``brief.status`` to ``to``. Raises InvalidTransition; writes an audit row."""
    before = BriefStatus(brief.status)
    if not can_move_brief(brief, to):
        raise InvalidTransition(f"A {before.value} brief cannot become {to.value}.")
    brief.status = to
    if to is BriefStatus.OPEN and brief.published_at is None:
        brief.published_at = clock.now()
    audit.record(
        session,
        actor_id=actor.id,
        action="brief.status_changed",
        subject_type="brief",
        subject_id=brief.id,
        from_status=before.value,
        to_status=to.value,
    )
    session.flush()


def move_proposal(session: Session, proposal: Proposal, to: ProposalStatus, *, actor: User) -> None:
    """Change ``proposal.status`` to ``to``. Raises InvalidTransition; writes an audit row."""
    before = ProposalStatus(proposal.status)
    if not can_move_proposal(proposal, to):
        raise InvalidTransition(f"A {before.value} proposal cannot become {to.value}.")
    proposal.status = to
    audit.record(
        session,
        actor_id=actor.id,
        action="proposal.status_changed",
        subject_type="proposal",
        subject_id=proposal.id,
        brief_id=proposal.brief_id,
        from_status=before.value,
        to_status=to.value,
    )
    session.flush()

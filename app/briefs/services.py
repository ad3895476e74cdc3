"""Brief services: post and edit briefs, move them through their states, invite creators,
and the proposal lifecycle up to the contract an accepted proposal creates.

Services take a Session, flush but never commit, run every guard before any write, and raise
typed errors (``app.errors`` / ``app.briefs.errors``). Who may see what:

* a draft brief exists only for its owner;
* an invite-only brief exists only for its owner and the creators invited to it;
* other briefs are public. Acting on someone else's brief answers PermissionDenied where the
  brief is visible, NotFound where it is not (private ids cannot be probed).
* a proposal exists only for its creator and the brief's owner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock, countries
from app.accounts.models import User
from app.accounts.services import clean_list
from app.briefs.errors import BriefNotOpen, DuplicateProposal
from app.briefs.models import Brief, BriefInvitation, BriefStatus, Proposal, Visibility
from app.briefs.states import BRIEF, EDITABLE_BRIEF_STATUSES, PROPOSAL
from app.contracts import services as contracts
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.money import MoneyError, check_amount, check_currency
from app.offers.models import CATEGORIES, OfferKind
from app.workflow import lock

TITLE_LENGTH = (5, 120)
DESCRIPTION_LENGTH = (20, 5000)
COVER_LETTER_LENGTH = (20, 5000)
DELIVERY_DAYS = (1, 365)
MAX_DEADLINE_AHEAD = timedelta(days=730)
MAX_SKILLS = 20

Errors = dict[str, list[str]]


@dataclass(frozen=True)
class BriefInput:
    title: str
    description: str
    category: str
    skills: list[str]
    offer_kinds: list[str]
    budget_min_minor: int
    budget_max_minor: int
    currency: str
    deadline: date | None
    visibility: str = Visibility.PUBLIC.value
    # Influencer briefs: the audience wanted (ISO country codes or names; None = any).
    audience_regions: list[str] = field(default_factory=list)
    audience_min_followers: int | None = None
    audience_max_followers: int | None = None
    audience_min_engagement_bp: int | None = None


@dataclass(frozen=True)
class ProposalInput:
    cover_letter: str
    price_minor: int
    delivery_days: int
    # None means "the brief's currency"; anything else must equal it.
    currency: str | None = None


# --- text and field checks ----------------------------------------------------------------


def clean_text(value: object, field: str, bounds: tuple[int, int], errors: Errors) -> str:
    """Trimmed ``value`` if it is a string of an allowed length; otherwise note an error."""
    low, high = bounds
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str) or not low <= len(text) <= high:
        errors[field] = [f"Enter between {low} and {high} characters."]
    elif not is_storable(text):
        errors[field] = ["Remove control characters."]
    return text


def is_storable(text: str) -> bool:
    """PostgreSQL refuses NUL bytes and unpaired surrogates; refuse them politely first."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _amount(value: object, field: str, errors: Errors, currency: str | None = None) -> int | None:
    try:
        return check_amount(value, currency)  # type: ignore[arg-type]
    except MoneyError as exc:
        errors[field] = [str(exc)]
        return None


def _check_deadline(deadline: object, errors: Errors) -> None:
    if deadline is None:
        return
    if not isinstance(deadline, date) or isinstance(deadline, datetime):
        errors["deadline"] = ["Enter a date such as 2030-01-31."]
        return
    today = clock.now().date()
    if deadline < today:
        errors["deadline"] = ["The deadline cannot be in the past."]
    elif deadline > today + MAX_DEADLINE_AHEAD:
        errors["deadline"] = ["Choose a deadline within the next two years."]


MAX_REGIONS = 20
MAX_FOLLOWERS = 10**10


def _audience(data: BriefInput, errors: Errors) -> dict[str, object]:
    regions: list[str] = []
    unknown: list[str] = []
    for value in data.audience_regions or []:
        code = countries.parse(value) if isinstance(value, str) else None
        if code is None:
            unknown.append(str(value)[:40])
        elif code not in regions:
            regions.append(code)
    if unknown:
        errors["audience_regions"] = [f"Unknown countries: {', '.join(unknown)}."]
    elif len(regions) > MAX_REGIONS:
        errors["audience_regions"] = [f"Choose at most {MAX_REGIONS} countries."]
    low, high = data.audience_min_followers, data.audience_max_followers
    for key, amount in (("audience_min_followers", low), ("audience_max_followers", high)):
        if amount is not None and (not isinstance(amount, int) or not 0 <= amount <= MAX_FOLLOWERS):
            errors[key] = ["Enter a number of followers from 0 to 10 billion."]
    if isinstance(low, int) and isinstance(high, int) and high < low and not errors:
        errors["audience_max_followers"] = ["The maximum must not be below the minimum."]
    engagement = data.audience_min_engagement_bp
    if engagement is not None and (not isinstance(engagement, int) or not 0 <= engagement <= 10000):
        errors["audience_min_engagement_bp"] = ["Enter an engagement rate from 0 to 100%."]
    return {
        "audience_regions": regions,
        "audience_min_followers": low,
        "audience_max_followers": high,
        "audience_min_engagement_bp": engagement,
    }


def validate_brief(data: BriefInput) -> dict[str, object]:
    """The cleaned column values for ``data``. Raises ValidationFailed with every problem."""
    errors: Errors = {}
    title = clean_text(data.title, "title", TITLE_LENGTH, errors)
    description = clean_text(data.description, "description", DESCRIPTION_LENGTH, errors)
    if data.category not in CATEGORIES:
        errors["category"] = ["Choose a category from the list."]
    skills: list[str] = []
    try:
        skills = clean_list(data.skills, field="skills", max_items=MAX_SKILLS)
        if not all(is_storable(skill) for skill in skills):
            errors["skills"] = ["Remove control characters."]
    except ValidationFailed as exc:
        errors.update(exc.errors)
    kinds = list(dict.fromkeys(data.offer_kinds))
    allowed = {kind.value for kind in OfferKind}
    if not kinds or any(not isinstance(k, str) or k not in allowed for k in kinds):
        errors["offer_kinds"] = [f"Choose at least one of: {', '.join(sorted(allowed))}."]
    named = data.currency if isinstance(data.currency, str) else None
    low = _amount(data.budget_min_minor, "budget_min_minor", errors, named)
    high = _amount(data.budget_max_minor, "budget_max_minor", errors, named)
    if low is not None and high is not None and low > high:
        errors["budget_max_minor"] = ["The maximum budget must not be below the minimum."]
    currency = ""
    try:
        currency = check_currency(data.currency if isinstance(data.currency, str) else "")
    except MoneyError as exc:
        errors["currency"] = [str(exc)]
    _check_deadline(data.deadline, errors)
    if data.visibility not in {v.value for v in Visibility}:
        errors["visibility"] = ["Choose public or invite only."]
    audience = _audience(data, errors)
    if errors:
        raise ValidationFailed(errors)
    return {
        **audience,
        "title": title,
        "description": description,
        "category": data.category,
        "skills": skills,
        "offer_kinds": kinds,
        "budget_min_minor": low,
        "budget_max_minor": high,
        "currency": currency,
        "deadline": data.deadline,
        "visibility": Visibility(data.visibility),
    }


# --- visibility and ownership -------------------------------------------------------------


def is_invited(session: Session, brief: Brief, user: User) -> bool:
    return _find_invitation(session, brief.id, user.id) is not None


def can_view(session: Session, brief: Brief, user: User | None) -> bool:
    if user is not None and user.id == brief.business_id:
        return True
    if brief.status == BriefStatus.DRAFT or brief.hidden_at is not None:
        return False  # hidden by a moderator: only its owner still sees it
    if brief.visibility == Visibility.INVITE_ONLY:
        return user is not None and is_invited(session, brief, user)
    return True


def get_visible_brief(session: Session, brief_id: int, user: User | None) -> Brief:
    """The brief ``user`` (None: anonymous) may see. Raises NotFound otherwise."""
    brief = session.get(Brief, brief_id) if 0 < brief_id <= MAX_ID else None
    if brief is None or not can_view(session, brief, user):
        raise NotFound("No such brief.")
    return brief


def require_owner(session: Session, brief: Brief, actor: User) -> None:
    """Raises NotFound (brief invisible to ``actor``) or PermissionDenied (visible, not theirs)."""
    if actor.id == brief.business_id:
        return
    if not can_view(session, brief, actor):
        raise NotFound("No such brief.")
    raise PermissionDenied("Only the business that posted this brief can do that.")


def _lock_brief(session: Session, brief_id: int) -> Brief:
    return lock(session, Brief, brief_id, missing="No such brief.")


def _lock_proposal(session: Session, proposal_id: int) -> Proposal:
    return lock(session, Proposal, proposal_id, missing="No such proposal.")


# --- briefs ---------------------------------------------------------------------------------


def create_brief(
    session: Session, business: User, data: BriefInput, *, publish: bool = False
) -> Brief:
    """Post a brief as a draft, or open it at once with ``publish``.

    Raises PermissionDenied (not a business account), ValidationFailed. Adds the brief and
    audit rows.
    """
    if not business.is_business:
        raise PermissionDenied("Only business accounts can post briefs.")
    values = validate_brief(data)
    brief = Brief(business_id=business.id, status=BriefStatus.DRAFT, **values)
    session.add(brief)
    session.flush()
    BRIEF.record(session, brief, "created", actor_id=business.id)
    if publish:
        BRIEF.move(session, brief, "publish", actor_id=business.id)
        brief.published_at = brief.published_at or clock.now()
    session.flush()
    return brief


def update_brief(session: Session, brief: Brief, actor: User, data: BriefInput) -> Brief:
    """Replace the brief's content. Only the owner, only while draft or open.

    Raises NotFound/PermissionDenied, BriefNotOpen, ValidationFailed (also when the currency
    would change under existing proposals, which are priced in it).
    """
    require_owner(session, brief, actor)
    if brief.status not in EDITABLE_BRIEF_STATUSES:
        raise BriefNotOpen(f"A {brief.status} brief can no longer be edited.")
    values = validate_brief(data)
    if values["currency"] != brief.currency and brief.proposals:
        raise ValidationFailed(
            {"currency": ["Proposals were sent in this currency; it cannot change now."]}
        )
    changed = sorted(name for name, value in values.items() if getattr(brief, name) != value)
    for name, value in values.items():
        setattr(brief, name, value)
    BRIEF.record(session, brief, "updated", actor_id=actor.id, fields=changed)
    session.flush()
    return brief


def publish_brief(session: Session, brief: Brief, actor: User) -> None:
    """draft -> open. Raises NotFound/PermissionDenied, InvalidTransition, ValidationFailed
    (a draft whose deadline has passed meanwhile)."""
    require_owner(session, brief, actor)
    brief = _lock_brief(session, brief.id)
    errors: Errors = {}
    _check_deadline(brief.deadline, errors)
    if errors and brief.status == BriefStatus.DRAFT:
        raise ValidationFailed(errors)
    BRIEF.move(session, brief, "publish", actor_id=actor.id)
    brief.published_at = brief.published_at or clock.now()
    session.flush()


def close_brief(session: Session, brief: Brief, actor: User) -> None:
    """open/in_progress -> closed. Raises NotFound/PermissionDenied, InvalidTransition."""
    require_owner(session, brief, actor)
    BRIEF.move(session, _lock_brief(session, brief.id), "close", actor_id=actor.id)
    session.flush()


def cancel_brief(session: Session, brief: Brief, actor: User) -> None:
    """draft/open -> cancelled. Raises NotFound/PermissionDenied, InvalidTransition."""
    require_owner(session, brief, actor)
    BRIEF.move(session, _lock_brief(session, brief.id), "cancel", actor_id=actor.id)
    session.flush()


# --- invitations ----------------------------------------------------------------------------


def _find_invitation(session: Session, brief_id: int, creator_id: int) -> BriefInvitation | None:
    return session.scalar(
        select(BriefInvitation).where(
            BriefInvitation.brief_id == brief_id, BriefInvitation.creator_id == creator_id
        )
    )


def invite_creator(session: Session, brief: Brief, creator: User, actor: User) -> BriefInvitation:
    """Invite ``creator`` to ``brief``; inviting again returns the existing invitation.

    Raises NotFound/PermissionDenied (not the owner), BriefNotOpen (brief no longer draft or
    open), ValidationFailed (not an active creator, or the owner themself).
    """
    require_owner(session, brief, actor)
    if brief.status not in EDITABLE_BRIEF_STATUSES:
        raise BriefNotOpen("Invite creators while the brief is a draft or open.")
    if not creator.is_creator or not creator.is_active:
        raise ValidationFailed({"creator": ["Only active creator accounts can be invited."]})
    if creator.id == actor.id:
        raise ValidationFailed({"creator": ["You cannot invite yourself."]})
    existing = _find_invitation(session, brief.id, creator.id)
    if existing is not None:
        return existing
    invitation = BriefInvitation(brief_id=brief.id, creator_id=creator.id, invited_by_id=actor.id)
    try:
        with session.begin_nested():
            session.add(invitation)
            session.flush()
    except IntegrityError:
        # A concurrent request invited the same creator first: same outcome, not an error.
        existing = _find_invitation(session, brief.id, creator.id)
        if existing is None:
            raise
        return existing
    BRIEF.record(session, brief, "creator_invited", actor_id=actor.id, creator_id=creator.id)
    session.expire(brief, ["invitations"])
    session.flush()
    return invitation


# --- proposals ------------------------------------------------------------------------------


def find_proposal(session: Session, brief_id: int, creator_id: int) -> Proposal | None:
    return session.scalar(
        select(Proposal).where(Proposal.brief_id == brief_id, Proposal.creator_id == creator_id)
    )


def validate_proposal(brief: Brief, data: ProposalInput) -> dict[str, object]:
    errors: Errors = {}
    letter = clean_text(data.cover_letter, "cover_letter", COVER_LETTER_LENGTH, errors)
    price = _amount(data.price_minor, "price_minor", errors, brief.currency)
    if data.currency is not None and data.currency != brief.currency:
        errors["currency"] = [f"Quote your price in the brief's currency, {brief.currency}."]
    days = data.delivery_days
    low, high = DELIVERY_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        errors["delivery_days"] = [f"Enter a whole number of days from {low} to {high}."]
    if errors:
        raise ValidationFailed(errors)
    return {"cover_letter": letter, "price_minor": price, "delivery_days": days}


def submit_proposal(session: Session, brief: Brief, creator: User, data: ProposalInput) -> Proposal:
    """Send ``creator``'s proposal for an open brief.

    Raises NotFound (brief invisible, e.g. invite-only without an invitation), PermissionDenied
    (no creator role, or the creator's own brief), BriefNotOpen, DuplicateProposal (also when a
    concurrent request won the race for the unique constraint), ValidationFailed.
    """
    if not can_view(session, brief, creator):
        raise NotFound("No such brief.")
    if not creator.is_creator:
        raise PermissionDenied("Only creator accounts can send proposals.")
    if brief.business_id == creator.id:
        raise PermissionDenied("You cannot send a proposal for your own brief.")
    # FOR SHARE: an acceptance (FOR UPDATE) cannot move the brief while this proposal lands.
    locked = session.execute(
        select(Brief)
        .where(Brief.id == brief.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if locked.status != BriefStatus.OPEN:
        raise BriefNotOpen("This brief is not accepting proposals.")
    duplicate = DuplicateProposal("You have already sent a proposal for this brief.")
    if find_proposal(session, brief.id, creator.id) is not None:
        raise duplicate
    values = validate_proposal(brief, data)
    proposal = Proposal(brief_id=brief.id, creator_id=creator.id, currency=brief.currency, **values)
    try:
        with session.begin_nested():
            session.add(proposal)
            session.flush()
    except IntegrityError:
        if find_proposal(session, brief.id, creator.id) is None:
            raise
        raise duplicate from None
    PROPOSAL.record(session, proposal, "submitted", actor_id=creator.id, brief_id=brief.id)
    session.expire(brief, ["proposals"])
    session.flush()
    return proposal


def get_proposal_for(session: Session, proposal_id: int, actor: User) -> Proposal:
    """The proposal if ``actor`` wrote it or owns its brief. Raises NotFound otherwise."""
    proposal = session.get(Proposal, proposal_id) if 0 < proposal_id <= MAX_ID else None
    if proposal is None or actor.id not in {proposal.creator_id, proposal.brief.business_id}:
        raise NotFound("No such proposal.")
    return proposal


def list_proposals(session: Session, brief: Brief, actor: User) -> list[Proposal]:
    """Every proposal for ``brief``, oldest first. Raises NotFound/PermissionDenied."""
    require_owner(session, brief, actor)
    return list(
        session.scalars(select(Proposal).where(Proposal.brief_id == brief.id).order_by(Proposal.id))
    )


def _require_brief_owner(proposal: Proposal, actor: User) -> None:
    if proposal.brief.business_id != actor.id:
        raise PermissionDenied("Only the business that posted the brief can do that.")


def shortlist_proposal(session: Session, proposal: Proposal, actor: User) -> None:
    """submitted -> shortlisted while the brief is open. Raises PermissionDenied, BriefNotOpen,
    InvalidTransition."""
    _require_brief_owner(proposal, actor)
    if proposal.brief.status != BriefStatus.OPEN:
        raise BriefNotOpen("This brief is not open any more.")
    proposal = _lock_proposal(session, proposal.id)
    PROPOSAL.move(session, proposal, "shortlist", actor_id=actor.id, brief_id=proposal.brief_id)
    session.flush()


def decline_proposal(session: Session, proposal: Proposal, actor: User) -> None:
    """submitted/shortlisted -> declined. Raises PermissionDenied, InvalidTransition."""
    _require_brief_owner(proposal, actor)
    proposal = _lock_proposal(session, proposal.id)
    PROPOSAL.move(session, proposal, "decline", actor_id=actor.id, brief_id=proposal.brief_id)
    session.flush()


def withdraw_proposal(session: Session, proposal: Proposal, actor: User) -> None:
    """The creator takes back a submitted/shortlisted proposal. Raises PermissionDenied,
    InvalidTransition."""
    if proposal.creator_id != actor.id:
        raise PermissionDenied("Only the creator who sent this proposal can withdraw it.")
    proposal = _lock_proposal(session, proposal.id)
    PROPOSAL.move(session, proposal, "withdraw", actor_id=actor.id, brief_id=proposal.brief_id)
    session.flush()


def accept_proposal(session: Session, proposal: Proposal, actor: User) -> Contract:
    """Accept one proposal: it becomes accepted, the brief goes in_progress, and the contract
    is created. Other proposals stay as they are (still visible), but no further accept works.

    Locks the brief, then the proposal (always in that order). Raises PermissionDenied,
    BriefNotOpen (brief not open, e.g. a proposal was already accepted), InvalidTransition
    (proposal declined/withdrawn/accepted).
    """
    _require_brief_owner(proposal, actor)
    brief = _lock_brief(session, proposal.brief_id)
    proposal = _lock_proposal(session, proposal.id)
    if brief.status == BriefStatus.IN_PROGRESS:
        raise BriefNotOpen("A proposal was already accepted for this brief.")
    if brief.status != BriefStatus.OPEN:
        raise BriefNotOpen("This brief is not open any more.")
    PROPOSAL.move(session, proposal, "accept", actor_id=actor.id, brief_id=proposal.brief_id)
    BRIEF.move(session, brief, "start", actor_id=actor.id)
    return contracts.create_from_proposal(session, proposal, actor=actor)

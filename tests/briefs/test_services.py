from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.audit import AuditEvent
from app.briefs import queries, services, states
from app.briefs.errors import BriefNotOpen, DuplicateProposal
from app.briefs.models import Brief, BriefInvitation, BriefStatus, Proposal, ProposalStatus
from app.contracts.models import Contract
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.money import MAX_AMOUNT_MINOR
from tests.factories import make_brief, make_proposal, make_user
from tests.fixtures import count

TODAY = clock.now().date()


def _input(**overrides):
    values = dict(
        title="Product photos for a shop",
        description="Forty packshots on white background, delivered as web-ready JPEGs.",
        category="Photography",
        skills=["product photography"],
        offer_kinds=["service", "stock_media"],
        budget_min_minor=10_000,
        budget_max_minor=40_000,
        currency="EUR",
        deadline=TODAY + timedelta(days=14),
        visibility="public",
    )
    values.update(overrides)
    return services.BriefInput(**values)


# --- creating and editing briefs ---------------------------------------------------------


def test_create_draft_then_publish(session, business):
    brief = services.create_brief(session, business, _input(skills=[" Retouch ", "retouch"]))
    assert brief.status == BriefStatus.DRAFT and brief.published_at is None
    assert brief.skills == ["Retouch"]
    services.publish_brief(session, brief, business)
    assert brief.status == BriefStatus.OPEN and brief.published_at is not None
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.subject_type == "brief", AuditEvent.subject_id == brief.id
        )
    ).all()
    assert actions == ["brief.created", "brief.publish"]


def test_create_published_at_once(session, business):
    brief = services.create_brief(session, business, _input(), publish=True)
    assert brief.status == BriefStatus.OPEN


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "Logo"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "Bad\x00title"}, "title"),
        ({"description": "Too short"}, "description"),
        ({"description": "d" * 5001}, "description"),
        ({"category": "Knitting"}, "category"),
        ({"offer_kinds": []}, "offer_kinds"),
        ({"offer_kinds": ["podcast"]}, "offer_kinds"),
        ({"skills": ["s" * 61]}, "skills"),
        ({"budget_min_minor": 0}, "budget_min_minor"),
        ({"budget_min_minor": -500}, "budget_min_minor"),
        ({"budget_max_minor": MAX_AMOUNT_MINOR + 1}, "budget_max_minor"),
        ({"budget_min_minor": "100"}, "budget_min_minor"),
        ({"budget_min_minor": 100.5}, "budget_min_minor"),
        ({"budget_min_minor": True}, "budget_min_minor"),
        ({"budget_min_minor": 50_000, "budget_max_minor": 40_000}, "budget_max_minor"),
        ({"currency": "JPY"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"deadline": TODAY - timedelta(days=1)}, "deadline"),
        ({"deadline": TODAY + timedelta(days=800)}, "deadline"),
        ({"deadline": "2030-01-01"}, "deadline"),
        ({"visibility": "secret"}, "visibility"),
    ],
)
def test_invalid_brief_is_refused_and_nothing_written(session, business, overrides, field):
    before = count(session, Brief), count(session, AuditEvent)
    with pytest.raises(ValidationFailed) as info:
        services.create_brief(session, business, _input(**overrides))
    assert field in info.value.errors
    assert (count(session, Brief), count(session, AuditEvent)) == before


def test_every_problem_is_reported_at_once(session, business):
    with pytest.raises(ValidationFailed) as info:
        services.create_brief(
            session, business, _input(title="", budget_min_minor=-1, currency="XXX")
        )
    assert {"title", "budget_min_minor", "currency"} <= set(info.value.errors)


def test_deadline_is_optional_and_today_allowed(session, business):
    assert services.create_brief(session, business, _input(deadline=None)).deadline is None
    assert services.create_brief(session, business, _input(deadline=TODAY)).deadline == TODAY


def test_only_businesses_post_briefs(session, creator):
    with pytest.raises(PermissionDenied):
        services.create_brief(session, creator, _input())
    assert count(session, Brief) == 0


def test_update_by_owner_and_audited(session, business, brief):
    services.update_brief(session, brief, business, _input(title="A brand new title"))
    assert brief.title == "A brand new title" and brief.currency == "EUR"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "brief.updated")).one()
    assert "title" in event.data["fields"]


def test_update_refused_for_others_and_after_open(session, business, other_business, brief):
    with pytest.raises(PermissionDenied):  # public brief: its existence is no secret
        services.update_brief(session, brief, other_business, _input())
    draft = make_brief(session, business, publish=False)
    with pytest.raises(NotFound):  # a draft is private
        services.update_brief(session, draft, other_business, _input())
    services.close_brief(session, brief, business)
    with pytest.raises(BriefNotOpen):
        services.update_brief(session, brief, business, _input())
    assert brief.title == "Logo for a coffee roastery" and draft.title != "Product photos"


def test_currency_locked_once_proposals_exist(session, brief, business, creator):
    make_proposal(session, brief, creator)
    with pytest.raises(ValidationFailed) as info:
        services.update_brief(session, brief, business, _input(currency="EUR"))
    assert "currency" in info.value.errors
    assert brief.currency == "USD"


def test_publishing_a_stale_draft_checks_the_deadline(session, business):
    draft = make_brief(session, business, publish=False, deadline=TODAY + timedelta(days=1))
    later = datetime.combine(TODAY + timedelta(days=3), datetime.min.time(), tzinfo=UTC)
    with clock.frozen_at(later), pytest.raises(ValidationFailed):
        services.publish_brief(session, draft, business)
    assert draft.status == BriefStatus.DRAFT


# --- state machines ------------------------------------------------------------------------

B = BriefStatus
ALLOWED_BRIEF_MOVES = {
    (B.DRAFT, B.OPEN),
    (B.DRAFT, B.CANCELLED),
    (B.OPEN, B.IN_PROGRESS),
    (B.OPEN, B.CLOSED),
    (B.OPEN, B.CANCELLED),
    (B.IN_PROGRESS, B.CLOSED),
}


@pytest.mark.parametrize("start", list(BriefStatus))
@pytest.mark.parametrize("target", list(BriefStatus))
def test_brief_transition_table(session, business, start, target):
    brief = make_brief(session, business, publish=False)
    brief.status = start
    session.flush()
    audits = count(session, AuditEvent)
    if (start, target) in ALLOWED_BRIEF_MOVES:
        states.BRIEF.move_to(session, brief, target, actor_id=business.id)
        assert brief.status == target
        assert count(session, AuditEvent) == audits + 1
    else:
        with pytest.raises(InvalidTransition):
            states.BRIEF.move_to(session, brief, target, actor_id=business.id)
        assert brief.status == start
        assert count(session, AuditEvent) == audits


P = ProposalStatus
ALLOWED_PROPOSAL_MOVES = {
    (P.SUBMITTED, P.SHORTLISTED),
    (P.SUBMITTED, P.DECLINED),
    (P.SUBMITTED, P.ACCEPTED),
    (P.SUBMITTED, P.WITHDRAWN),
    (P.SHORTLISTED, P.DECLINED),
    (P.SHORTLISTED, P.ACCEPTED),
    (P.SHORTLISTED, P.WITHDRAWN),
}


@pytest.mark.parametrize("start", list(ProposalStatus))
@pytest.mark.parametrize("target", list(ProposalStatus))
def test_proposal_transition_table(session, brief, creator, start, target):
    proposal = make_proposal(session, brief, creator)
    proposal.status = start
    session.flush()
    if (start, target) in ALLOWED_PROPOSAL_MOVES:
        states.PROPOSAL.move_to(session, proposal, target, actor_id=creator.id)
        assert proposal.status == target
    else:
        with pytest.raises(InvalidTransition):
            states.PROPOSAL.move_to(session, proposal, target, actor_id=creator.id)
        assert proposal.status == start


@pytest.mark.parametrize(
    ("action", "start", "expected"),
    [
        (services.publish_brief, B.OPEN, InvalidTransition),
        (services.close_brief, B.DRAFT, InvalidTransition),
        (services.cancel_brief, B.IN_PROGRESS, InvalidTransition),
        (services.cancel_brief, B.CLOSED, InvalidTransition),
    ],
)
def test_illegal_owner_actions(session, business, action, start, expected):
    brief = make_brief(session, business, publish=False)
    brief.status = start
    session.flush()
    with pytest.raises(expected):
        action(session, brief, business)
    assert brief.status == start


def test_other_business_cannot_transition(session, brief, other_business):
    for action in (services.close_brief, services.cancel_brief):
        with pytest.raises(PermissionDenied):
            action(session, brief, other_business)
    assert brief.status == BriefStatus.OPEN


# --- proposals -------------------------------------------------------------------------------


def test_submit_proposal(session, brief, creator):
    proposal = make_proposal(session, brief, creator)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.currency == "USD"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.submitted"))


def test_duplicate_proposal_refused_by_precheck(session, brief, creator):
    make_proposal(session, brief, creator)
    with pytest.raises(DuplicateProposal):
        make_proposal(session, brief, creator, price_minor=25_000)
    assert count(session, Proposal) == 1


def test_duplicate_proposal_refused_by_unique_constraint(session, brief, creator, monkeypatch):
    """A concurrent twin passes the pre-check; the constraint violation becomes the same error
    and the SAVEPOINT keeps the session usable."""
    first = make_proposal(session, brief, creator)
    original = services.find_proposal
    calls = []

    def racing_find(session, brief_id, creator_id):
        calls.append(1)
        return None if len(calls) == 1 else original(session, brief_id, creator_id)

    monkeypatch.setattr(services, "find_proposal", racing_find)
    with pytest.raises(DuplicateProposal):
        make_proposal(session, brief, creator)
    assert len(calls) == 2  # pre-check, then the look-up after the IntegrityError
    assert session.scalars(select(Proposal)).all() == [first]


def test_cannot_propose_on_own_brief(session):
    both = make_user(session, creator=True, business=True)
    brief = make_brief(session, both)
    with pytest.raises(PermissionDenied):
        make_proposal(session, brief, both)
    assert count(session, Proposal) == 0


def test_business_without_creator_role_cannot_propose(session, brief, other_business):
    with pytest.raises(PermissionDenied):
        make_proposal(session, brief, other_business)


def test_invite_only_needs_an_invitation(session, business, creator):
    brief = make_brief(session, business, visibility="invite_only")
    with pytest.raises(NotFound):
        make_proposal(session, brief, creator)
    with pytest.raises(NotFound):
        services.get_visible_brief(session, brief.id, creator)
    services.invite_creator(session, brief, creator, business)
    assert services.get_visible_brief(session, brief.id, creator) is brief
    assert make_proposal(session, brief, creator).brief_id == brief.id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "EUR"}, "currency"),
        ({"price_minor": 0}, "price_minor"),
        ({"price_minor": "300"}, "price_minor"),
        ({"price_minor": 99.5}, "price_minor"),
        ({"delivery_days": 0}, "delivery_days"),
        ({"delivery_days": 366}, "delivery_days"),
        ({"cover_letter": "Hire me"}, "cover_letter"),
    ],
)
def test_invalid_proposal_refused(session, brief, creator, overrides, field):
    with pytest.raises(ValidationFailed) as info:
        make_proposal(session, brief, creator, **overrides)
    assert field in info.value.errors
    assert count(session, Proposal) == 0


def test_proposals_only_on_open_briefs(session, business, creator):
    draft = make_brief(session, business, publish=False)
    with pytest.raises(NotFound):
        make_proposal(session, draft, creator)
    closed = make_brief(session, business)
    services.close_brief(session, closed, business)
    with pytest.raises(BriefNotOpen):
        make_proposal(session, closed, creator)
    assert count(session, Proposal) == 0


def test_accept_creates_one_contract_and_moves_brief(
    session, brief, business, creator, other_creator
):
    chosen = make_proposal(session, brief, creator)
    other = make_proposal(session, brief, other_creator, price_minor=45_000)
    services.shortlist_proposal(session, chosen, business)
    contract = services.accept_proposal(session, chosen, business)
    assert contract.proposal_id == chosen.id and contract.total_minor == 30_000
    assert (contract.business_id, contract.creator_id) == (business.id, creator.id)
    assert chosen.status == ProposalStatus.ACCEPTED
    assert other.status == ProposalStatus.SUBMITTED  # still visible, not auto-declined
    assert brief.status == BriefStatus.IN_PROGRESS
    with pytest.raises(BriefNotOpen):
        services.accept_proposal(session, other, business)
    assert other.status == ProposalStatus.SUBMITTED
    assert count(session, Contract) == 1


@pytest.mark.parametrize("status", [ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN])
def test_cannot_accept_closed_proposal(session, brief, business, creator, status):
    proposal = make_proposal(session, brief, creator)
    proposal.status = status
    session.flush()
    with pytest.raises(InvalidTransition):
        services.accept_proposal(session, proposal, business)
    assert brief.status == BriefStatus.OPEN and count(session, Contract) == 0


def test_other_business_cannot_see_or_act_on_proposals(session, brief, creator, other_business):
    proposal = make_proposal(session, brief, creator)
    with pytest.raises(PermissionDenied):
        services.list_proposals(session, brief, other_business)
    with pytest.raises(NotFound):
        services.get_proposal_for(session, proposal.id, other_business)
    assert proposal.status == ProposalStatus.SUBMITTED and count(session, Contract) == 0


def test_creator_cannot_see_another_creators_proposal(session, brief, creator, other_creator):
    proposal = make_proposal(session, brief, creator)
    with pytest.raises(NotFound):
        services.get_proposal_for(session, proposal.id, other_creator)
    assert services.get_proposal_for(session, proposal.id, creator) is proposal


def test_roles_on_proposal_actions(session, brief, business, creator):
    proposal = make_proposal(session, brief, creator)
    with pytest.raises(PermissionDenied):
        services.shortlist_proposal(session, proposal, creator)
    with pytest.raises(PermissionDenied):
        services.accept_proposal(session, proposal, creator)
    with pytest.raises(PermissionDenied):
        services.withdraw_proposal(session, proposal, business)
    services.withdraw_proposal(session, proposal, creator)
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert count(session, Contract) == 0


def test_shortlist_needs_an_open_brief(session, brief, business, creator):
    proposal = make_proposal(session, brief, creator)
    services.close_brief(session, brief, business)
    with pytest.raises(BriefNotOpen):
        services.shortlist_proposal(session, proposal, business)
    services.decline_proposal(session, proposal, business)  # tidying up stays possible
    assert proposal.status == ProposalStatus.DECLINED


# --- invitations ---------------------------------------------------------------------------


def test_invite_is_idempotent(session, brief, business, creator):
    first = services.invite_creator(session, brief, creator, business)
    second = services.invite_creator(session, brief, creator, business)
    assert first is second and count(session, BriefInvitation) == 1
    assert [i.brief_id for i in queries.invitations_of(session, creator)] == [brief.id]


def test_invite_rules(session, brief, business, other_business, creator):
    with pytest.raises(ValidationFailed):
        services.invite_creator(session, brief, other_business, business)  # not a creator
    with pytest.raises(PermissionDenied):
        services.invite_creator(session, brief, creator, other_business)
    services.close_brief(session, brief, business)
    with pytest.raises(BriefNotOpen):
        services.invite_creator(session, brief, creator, business)
    assert count(session, BriefInvitation) == 0


# --- the board -----------------------------------------------------------------------------


def _board(session, **filters):
    page = queries.board(session, queries.BoardFilters(**filters), page=1, per_page=50)
    return {brief.title for brief in page.items}


def test_board_shows_only_public_open_briefs(session, business):
    make_brief(session, business, title="Open public brief")
    make_brief(session, business, title="Draft brief", publish=False)
    make_brief(session, business, title="Private brief", visibility="invite_only")
    closed = make_brief(session, business, title="Closed brief")
    services.close_brief(session, closed, business)
    assert _board(session) == {"Open public brief"}


def test_board_filters(session, business):
    make_brief(
        session,
        business,
        title="Logo design job",
        category="Design & Creative",
        offer_kinds=["service"],
        budget_min_minor=10_000,
        budget_max_minor=20_000,
    )
    make_brief(
        session,
        business,
        title="Instagram campaign",
        category="Marketing & Social Media",
        offer_kinds=["influencer", "stock_media"],
        budget_min_minor=50_000,
        budget_max_minor=90_000,
        currency="EUR",
        skills=["TikTok"],
        description="Three sponsored reels about our 100% organic oat drink.",
    )
    assert _board(session, category="Design & Creative") == {"Logo design job"}
    assert _board(session, kind="influencer") == {"Instagram campaign"}
    assert _board(session, kind="stock_media") == {"Instagram campaign"}
    assert _board(session, kind="service") == {"Logo design job"}
    assert _board(session, budget_min_minor=30_000) == {"Instagram campaign"}
    assert _board(session, budget_max_minor=15_000) == {"Logo design job"}
    assert _board(session, budget_min_minor=15_000, budget_max_minor=60_000) == {
        "Logo design job",
        "Instagram campaign",
    }
    assert _board(session, currency="EUR") == {"Instagram campaign"}
    assert _board(session, q="LOGO") == {"Logo design job"}
    assert _board(session, q="tiktok") == {"Instagram campaign"}  # skills are searched too
    assert _board(session, q="100% organic") == {"Instagram campaign"}
    assert _board(session, q="100%") == {"Instagram campaign"}
    assert _board(session, q="o_t") == set()  # LIKE wildcards are literal ("oat" stays out)
    assert _board(session, q="logo campaign") == set()  # every word must match


@pytest.mark.parametrize(
    "filters",
    [
        {"category": "Nope"},
        {"kind": "podcast"},
        {"q": "a\x00b"},
        {"budget_min_minor": -1},
        {"currency": "JPY"},
    ],
)
def test_board_refuses_bad_filters(session, filters):
    with pytest.raises(ValidationFailed):
        queries.board(session, queries.BoardFilters(**filters), page=1, per_page=10)


def test_board_pagination(session, business):
    for n in range(5):
        make_brief(session, business, title=f"Brief number {n}")
    first = queries.board(session, queries.BoardFilters(), page=1, per_page=2)
    last = queries.board(session, queries.BoardFilters(), page=3, per_page=2)
    assert first.total == 5 and first.pages == 3 and len(first.items) == 2
    assert [b.title for b in last.items] == ["Brief number 0"]


def test_lists_for_owner_and_creator(session, brief, business, creator, other_creator):
    make_proposal(session, brief, creator)
    assert [b.id for b in queries.briefs_of(session, business)] == [brief.id]
    assert [p.brief_id for p in queries.proposals_of(session, creator)] == [brief.id]
    assert queries.proposals_of(session, other_creator) == []
    assert queries.proposal_counts(session, [brief]) == {brief.id: 1}

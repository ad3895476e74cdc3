from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.briefs import services
from app.briefs.models import Brief, BriefInvitation, BriefStatus, Proposal, ProposalStatus
from app.contracts.models import Contract
from tests.factories import INLINE_SCRIPT, login, make_brief, make_proposal, make_user
from tests.fixtures import count

TOMORROW = (clock.now().date() + timedelta(days=1)).isoformat()
YESTERDAY = (clock.now().date() - timedelta(days=1)).isoformat()


def _form(**overrides):
    data = {
        "title": "Illustrations for a children's book",
        "description": "Twelve full-page watercolour illustrations for a picture book.",
        "category": "Design & Creative",
        "skills": "illustration, watercolour",
        "offer_kinds": ["service"],
        "budget_min_minor": "1500",
        "budget_max_minor": "3000.50",
        "currency": "GBP",
        "deadline": TOMORROW,
        "visibility": "public",
        "action": "publish",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _html(response):
    body = response.get_data(as_text=True)
    # The CSP forbids inline styles and scripts; none of our pages may rely on them.
    assert "style=" not in body and not INLINE_SCRIPT.search(body)
    return body


def _status(session, model, ident):
    session.expire_all()
    return session.get(model, ident).status


def test_board_lists_public_open_briefs(client, session, business):
    make_brief(session, business, title="Visible open brief")
    make_brief(session, business, title="Hidden draft brief", publish=False)
    make_brief(session, business, title="Hidden private brief", visibility="invite_only")
    session.commit()
    response = client.get("/briefs?q=brief&category=Design+%26+Creative&kind=service")
    body = _html(response)
    assert response.status_code == 200
    assert "Visible open brief" in body and "Hidden" not in body


def test_board_bad_filter_is_422_with_message(client, session):
    response = client.get("/briefs?budget_min_minor=lots")
    assert response.status_code == 422
    assert "field-error" in _html(response)


def test_new_brief_publish(client, session, business):
    session.commit()
    login(client, business)
    assert client.get("/briefs/new").status_code == 200
    response = client.post("/briefs/new", data=_form())
    assert response.status_code == 302
    brief = session.scalars(select(Brief)).one()
    assert (brief.status, brief.budget_min_minor, brief.budget_max_minor) == (
        BriefStatus.OPEN,
        150_000,
        300_050,
    )
    assert brief.skills == ["illustration", "watercolour"] and brief.currency == "GBP"
    assert response.headers["Location"].endswith(f"/briefs/{brief.id}")


def test_new_brief_save_draft(client, session, business):
    session.commit()
    login(client, business)
    assert client.post("/briefs/new", data=_form(action="draft")).status_code == 302
    assert session.scalars(select(Brief)).one().status == BriefStatus.DRAFT


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": None}, "This field is required"),
        ({"title": "t" * 121}, "between 5 and 120"),
        ({"description": "short"}, "between 20 and 5000"),
        ({"budget_min_minor": "-5"}, "greater than zero"),
        ({"budget_min_minor": "0"}, "greater than zero"),
        ({"budget_min_minor": "12.345"}, "two decimal places"),
        ({"budget_min_minor": "lots"}, "Enter an amount"),
        ({"budget_max_minor": "100000000"}, "at most"),
        ({"budget_min_minor": "5000", "budget_max_minor": "100"}, "must not be below"),
        ({"currency": "JPY"}, "Not a valid choice"),
        ({"deadline": YESTERDAY}, "cannot be in the past"),
        ({"offer_kinds": None}, "Choose at least one"),
        ({"offer_kinds": ["podcast"]}, "Choose at least one"),
    ],
)
def test_new_brief_invalid_is_422_and_writes_nothing(client, session, business, overrides, message):
    session.commit()
    login(client, business)
    response = client.post("/briefs/new", data=_form(**overrides))
    assert response.status_code == 422
    body = _html(response)
    assert message in body and "field-error" in body
    assert count(session, Brief) == 0


def test_creators_cannot_post_briefs(client, session, creator):
    session.commit()
    login(client, creator)
    assert client.post("/briefs/new", data=_form()).status_code == 403
    assert count(session, Brief) == 0


def test_edit_prefills_and_saves(client, session, business, brief):
    session.commit()
    login(client, business)
    page = _html(client.get(f"/briefs/{brief.id}/edit"))
    assert 'value="200.00"' in page and "Logo for a coffee roastery" in page
    data = _form(title="Logo and labels for a roastery", currency="USD", action="save")
    assert client.post(f"/briefs/{brief.id}/edit", data=data).status_code == 302
    session.expire_all()
    assert session.get(Brief, brief.id).title == "Logo and labels for a roastery"


def test_edit_by_other_business(client, session, business, other_business, brief):
    draft = make_brief(session, business, publish=False)
    session.commit()
    login(client, other_business)
    assert client.get(f"/briefs/{brief.id}/edit").status_code == 403
    assert client.post(f"/briefs/{brief.id}/edit", data=_form(title="Hijacked")).status_code == 403
    assert client.get(f"/briefs/{draft.id}/edit").status_code == 404
    session.expire_all()
    assert session.get(Brief, brief.id).title == "Logo for a coffee roastery"


def test_status_actions(client, session, business, other_business):
    draft = make_brief(session, business, publish=False)
    session.commit()
    login(client, other_business)
    assert client.post(f"/briefs/{draft.id}/publish").status_code == 404
    assert _status(session, Brief, draft.id) == BriefStatus.DRAFT
    client.post("/logout")
    login(client, business)
    assert client.post(f"/briefs/{draft.id}/publish").status_code == 302
    assert _status(session, Brief, draft.id) == BriefStatus.OPEN
    response = client.post(f"/briefs/{draft.id}/publish")
    assert response.status_code == 409 and "cannot become open" in _html(response)
    assert client.post(f"/briefs/{draft.id}/close").status_code == 302
    assert _status(session, Brief, draft.id) == BriefStatus.CLOSED
    assert client.post(f"/briefs/{draft.id}/cancel").status_code == 409


def test_other_business_cannot_close_public_brief(client, session, brief, other_business):
    session.commit()
    login(client, other_business)
    assert client.post(f"/briefs/{brief.id}/close").status_code == 403
    assert _status(session, Brief, brief.id) == BriefStatus.OPEN


def test_detail_for_owner_creator_and_others(
    client, session, brief, business, creator, other_creator
):
    make_proposal(session, brief, creator, cover_letter="My secret cover letter, quite long.")
    session.commit()
    anonymous = _html(client.get(f"/briefs/{brief.id}"))
    assert "Sign in" in anonymous and "secret cover letter" not in anonymous

    login(client, business)
    owner = _html(client.get(f"/briefs/{brief.id}"))
    assert "secret cover letter" in owner and "Accept and hire" in owner and "Shortlist" in owner
    client.post("/logout")

    login(client, creator)
    own = _html(client.get(f"/briefs/{brief.id}"))
    assert "Your proposal" in own and "Withdraw proposal" in own and "Send proposal" not in own
    client.post("/logout")

    login(client, other_creator)
    other = _html(client.get(f"/briefs/{brief.id}"))
    assert "secret cover letter" not in other and "Send proposal" in other


def test_invite_only_brief_is_404_unless_invited(client, session, business, creator, other_creator):
    brief = make_brief(session, business, visibility="invite_only")
    session.commit()
    login(client, business)
    assert client.post(f"/briefs/{brief.id}/invite/{creator.id}").status_code == 302
    assert client.post(f"/briefs/{brief.id}/invite/{creator.id}").status_code == 302
    assert count(session, BriefInvitation) == 1
    client.post("/logout")
    login(client, creator)
    assert client.get(f"/briefs/{brief.id}").status_code == 200
    invitations = _html(client.get("/my/proposals"))
    assert "Invitations" in invitations and brief.title in invitations
    client.post("/logout")
    login(client, other_creator)
    assert client.get(f"/briefs/{brief.id}").status_code == 404
    response = client.post(
        f"/briefs/{brief.id}/proposals",
        data={
            "cover_letter": "Please let me work on this private brief.",
            "price_minor": "300",
            "delivery_days": "5",
        },
    )
    assert response.status_code == 404
    assert count(session, Proposal) == 0


def test_propose_and_duplicate(client, session, brief, creator):
    session.commit()
    login(client, creator)
    data = {
        "cover_letter": "I can deliver this quickly and well, see my work.",
        "price_minor": "350.00",
        "delivery_days": "7",
    }
    response = client.post(f"/briefs/{brief.id}/proposals", data=data)
    assert response.status_code == 302
    proposal = session.scalars(select(Proposal)).one()
    assert (proposal.price_minor, proposal.currency) == (35_000, "USD")
    again = client.post(f"/briefs/{brief.id}/proposals", data=data)
    assert again.status_code == 409 and "already sent a proposal" in _html(again)
    assert count(session, Proposal) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price_minor": "-1"}, "greater than zero"),
        ({"delivery_days": "400"}, "between 1"),
        ({"cover_letter": "hi"}, "between 20"),
    ],
)
def test_invalid_proposal_form(client, session, brief, creator, overrides, message):
    session.commit()
    login(client, creator)
    data = {
        "cover_letter": "I can deliver this quickly and well, see my work.",
        "price_minor": "350",
        "delivery_days": "7",
        **overrides,
    }
    response = client.post(f"/briefs/{brief.id}/proposals", data=data)
    assert response.status_code == 422 and message in _html(response)
    assert count(session, Proposal) == 0


def test_accept_redirects_to_contract_and_second_accept_refused(
    client, session, brief, business, creator, other_creator
):
    first = make_proposal(session, brief, creator)
    second = make_proposal(session, brief, other_creator)
    session.commit()
    login(client, business)
    assert client.post(f"/proposals/{first.id}/shortlist").status_code == 302
    response = client.post(f"/proposals/{first.id}/accept")
    contract = session.scalars(select(Contract)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert _status(session, Brief, brief.id) == BriefStatus.IN_PROGRESS
    again = client.post(f"/proposals/{second.id}/accept")
    assert again.status_code == 409 and "already accepted" in _html(again)
    assert count(session, Contract) == 1
    assert _status(session, Proposal, second.id) == ProposalStatus.SUBMITTED
    link = f'href="/contracts/{contract.id}"'
    assert link in _html(client.get(f"/briefs/{brief.id}"))
    client.post("/logout")
    login(client, creator)
    assert link in _html(client.get(f"/briefs/{brief.id}"))
    client.post("/logout")
    login(client, other_creator)
    assert link not in _html(client.get(f"/briefs/{brief.id}"))


def test_other_business_cannot_act_on_proposals(client, session, brief, creator, other_business):
    proposal = make_proposal(session, brief, creator)
    session.commit()
    login(client, other_business)
    for action in ("shortlist", "decline", "accept", "withdraw"):
        assert client.post(f"/proposals/{proposal.id}/{action}").status_code == 404
    assert _status(session, Proposal, proposal.id) == ProposalStatus.SUBMITTED
    assert count(session, Contract) == 0


def test_creator_withdraws_but_cannot_accept(client, session, brief, creator):
    proposal = make_proposal(session, brief, creator)
    session.commit()
    login(client, creator)
    assert client.post(f"/proposals/{proposal.id}/accept").status_code == 403
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 302
    assert _status(session, Proposal, proposal.id) == ProposalStatus.WITHDRAWN


def test_my_pages(client, session, brief, business, creator):
    make_proposal(session, brief, creator)
    session.commit()
    login(client, business)
    mine = _html(client.get("/my/briefs"))
    assert brief.title in mine
    assert client.get("/my/proposals").status_code == 403
    client.post("/logout")
    login(client, creator)
    assert brief.title in _html(client.get("/my/proposals"))
    assert client.get("/my/briefs").status_code == 403


def test_owner_sees_link_to_recommended_creators_and_others_do_not(
    client, session, business, brief
):
    session.commit()
    link = f"/briefs/{brief.id}/recommendations"
    login(client, business)
    assert link in _html(client.get(f"/briefs/{brief.id}"))
    client.post("/logout")
    login(client, make_user(session, creator=True))
    assert link not in _html(client.get(f"/briefs/{brief.id}"))


def test_own_brief_has_no_proposal_form(client, session):
    both = make_user(session, creator=True, business=True)
    brief = make_brief(session, both)
    session.commit()
    login(client, both)
    assert "Send proposal" not in _html(client.get(f"/briefs/{brief.id}"))
    response = client.post(
        f"/briefs/{brief.id}/proposals",
        data={
            "cover_letter": "Proposing on my own brief is not allowed.",
            "price_minor": "300",
            "delivery_days": "5",
        },
    )
    assert response.status_code == 403
    assert count(session, Proposal) == 0
    assert services.find_proposal(session, brief.id, both.id) is None


def test_board_absurd_page_is_clamped(client, session):
    assert client.get("/briefs?page=99999999999999999999").status_code == 200

"""Brief assistant: suggestions from similar offers, briefs and past contracts (service, API,
page)."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import Availability
from app.briefs.models import Brief
from app.contracts import services as contracts
from app.matching import assistant
from tests.factories import api_token, login, make_brief, make_business, make_creator, make_offer

pytestmark = pytest.mark.slow

LOGO = {
    "title": "Logo design and brand identity for small businesses",
    "description": "A memorable logo with a colour palette, typography and a one-page brand "
    "guide, delivered as vector files.",
    "tags": ["Logo design", "Branding", "Adobe Illustrator"],
}
CAKE = {
    "title": "Birthday cake baking and decoration",
    "description": "Custom cakes for birthdays and weddings, delivered to your door.",
    "tags": ["Baking", "Cake decoration"],
}
DRAFT = assistant.Draft(
    title="New logo for our coffee roastery",
    description="We need a modern logo and a small brand guide for our coffee roastery.",
    skills=("logo design",),
    currency="USD",
)


@pytest.fixture()
def market(session, matching):
    """Three logo designers (one not taking work), a baker; four past logo contracts in USD
    (one cancelled, which must not count) and a past logo brief of another business."""
    designers = [make_creator(session) for _ in range(3)]
    designers[2].profile.availability = Availability.UNAVAILABLE
    logo_offers = [make_offer(session, d, status="published", **LOGO) for d in designers]
    make_offer(session, make_creator(session), status="published", **CAKE)
    buyer = make_business(session)
    made = [
        contracts.create_from_package(session, offer, tier, business=buyer)
        for offer, tier in zip(logo_offers, ("basic", "standard", "premium"), strict=True)
    ]
    cancelled = contracts.create_from_package(session, logo_offers[0], "premium", business=buyer)
    cancelled.status = "cancelled"
    make_brief(
        session,
        make_business(session),
        title="Logo for a bakery",
        description="Looking for a logo designer to create a friendly logo and brand guide.",
        skills=["Branding", "Packaging design"],
    )
    session.flush()
    return {"designers": designers, "contracts": made}


def test_suggestions_come_from_similar_work_and_say_so(session, market):
    author = make_business(session)
    help_ = assistant.assist(session, DRAFT, author)

    skills = {s.value: s.why for s in help_.skills}
    assert "Branding" in skills and "Adobe Illustrator" in skills
    assert "Logo design" not in skills  # already in the draft (case-insensitive)
    assert "Baking" not in skills  # the baker's offer is not similar
    assert "3 of 3 similar offers and 1 of 1 similar briefs" in skills["Branding"]
    assert help_.category is not None and help_.category.value == "Design & Creative"
    assert (
        help_.category.why == "4 of the 4 most similar offers and briefs are in Design & Creative."
    )
    chosen = assistant.Draft(**{**DRAFT.__dict__, "category": "Design & Creative"})
    assert assistant.assist(session, chosen, author).category is None  # nothing to add
    budget = help_.budget
    assert budget is not None and budget.source == "contracts" and budget.data_points == 3
    assert (budget.low, budget.typical, budget.high) == (7_500, 10_000, 15_000)
    assert "3 contracts for similar work in USD" in budget.why
    assert help_.delivery_days is not None and help_.delivery_days.typical == 4
    assert help_.matching_creators == 2  # the third designer is not taking work
    assert help_.similar_offers[0] == LOGO["title"]


def test_no_price_is_shown_from_too_few_data_points(session, market):
    draft = assistant.Draft(title=DRAFT.title, description=DRAFT.description, currency="EUR")
    help_ = assistant.assist(session, draft, make_business(session))
    assert help_.budget is None  # no EUR contracts, no EUR offers
    assert any(
        "Only 0 contracts for similar work in EUR (3 more in other" in n for n in help_.notes
    )
    with pytest.raises(assistant.ValidationFailed):
        assistant.assist(session, assistant.Draft(title="logo"), make_business(session))


def test_api(client, session, market):
    headers = api_token(session, make_business(session))
    body = {"title": DRAFT.title, "description": DRAFT.description, "skills": ["logo design"]}
    response = client.post("/api/v1/brief-assistant", json=body, headers=headers)
    assert response.status_code == 200, response.json
    data = response.json
    assert data["budget"]["data_points"] == 3 and data["budget"]["currency"] == "USD"
    assert data["budget"]["typical_minor"] == 10_000 and data["budget"]["why"]
    assert data["matching_creators"]["count"] == 2
    assert {"value", "why"} <= set(data["skills"][0])
    bad = client.post("/api/v1/brief-assistant", json={"skills": "logo"}, headers=headers)
    assert bad.status_code == 422 and bad.json["errors"]["skills"]
    creator_headers = api_token(session, market["designers"][0])
    assert (
        client.post("/api/v1/brief-assistant", json=body, headers=creator_headers).status_code
        == 403
    )


def test_page_suggests_and_applies_ticked_suggestions_without_saving(client, session, market):
    login(client, make_business(session))
    before = session.scalar(select(func.count()).select_from(Brief))
    assert b"Suggest skills, budget and more" in client.get("/briefs/new").data
    form = {
        "title": DRAFT.title,
        "description": DRAFT.description,
        "skills": "logo design",
        "currency": "USD",
        "category": "",
        "budget_min_minor": "",
        "budget_max_minor": "",
    }
    page = client.post("/briefs/new", data={**form, "action": "assist"})
    assert page.status_code == 200
    assert b"Branding" in page.data and b"3 data points" in page.data
    applied = client.post(
        "/briefs/new",
        data={
            **form,
            "action": "apply",
            "suggest_skill": ["Branding"],
            "suggest_budget": "7500-15000",
        },
    )
    html = applied.data.decode()
    assert applied.status_code == 200
    assert 'value="logo design, Branding"' in html
    assert 'value="75.00"' in html and 'value="150.00"' in html
    assert session.scalar(select(func.count()).select_from(Brief)) == before

"""API parity: what a party can do on a page it can do through the API, with one token."""

from __future__ import annotations

from sqlalchemy import func, select

from app.disputes.models import Dispute
from app.payments import ledger
from app.payments.models import Milestone
from tests.checkout_support import api_pay_milestone
from tests.factories import api_token, make_business, make_creator, make_offer

API = "/api/v1"


def _order(client, session):
    creator, business = make_creator(session), make_business(session)
    offer = make_offer(session, creator, status="published")
    biz, cr = api_token(session, business), api_token(session, creator)
    session.commit()
    response = client.post(f"{API}/offers/{offer.id}/orders", json={"tier": "basic"}, headers=biz)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), biz, cr, creator, business


def test_me_names_the_tokens_account(client, session):
    creator = make_creator(session)
    headers = api_token(session, creator)
    session.commit()
    body = client.get(f"{API}/me", headers=headers).get_json()
    assert (body["id"], body["roles"], body["suspended"]) == (creator.id, ["creator"], False)
    assert client.get(f"{API}/me").status_code == 401


def test_order_split_cancel_and_fund(client, session):
    contract, biz, cr, _creator, _business = _order(client, session)
    assert contract["offer_id"] and contract["package_tier"] == "basic"
    total = contract["total_minor"]
    plans = [
        {"title": "Concepts", "amount_minor": total - 1000},
        {"title": "Final files", "amount_minor": 1000, "due_date": "2030-01-31"},
    ]
    url = f"{API}/contracts/{contract['id']}/milestones"
    bad = client.put(url, json={"milestones": [{**plans[0], "amount_minor": 1}]}, headers=biz)
    assert bad.status_code == 422
    assert client.put(url, json={"milestones": plans}, headers=cr).status_code == 403
    split = client.put(url, json={"milestones": plans}, headers=biz)
    assert split.status_code == 200, split.get_json()
    first, second = split.get_json()["items"]
    assert [m["amount_minor"] for m in (first, second)] == [total - 1000, 1000]
    cancelled = client.post(f"{API}/milestones/{second['id']}/cancel", headers=cr)
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    again = client.post(f"{API}/milestones/{second['id']}/cancel", headers=cr)
    assert again.status_code == 409
    _, synced = api_pay_milestone(client, first["id"], biz)
    assert synced["paid"], synced
    listed = client.get(f"{API}/contracts/{contract['id']}/milestones", headers=biz).get_json()
    funded = next(m for m in listed["items"] if m["id"] == first["id"])
    assert funded["state"] == "funded" and funded["payment_intent_id"].startswith("pi_")
    assert funded["charge_id"] and funded["transfer_id"] is None
    assert ledger.check(session).ok


def test_refund_and_dispute_actions(client, session):
    contract, biz, cr, _creator, _business = _order(client, session)
    milestones = client.get(f"{API}/contracts/{contract['id']}/milestones", headers=biz)
    (milestone,) = milestones.get_json()["items"]
    mid = milestone["id"]
    _, paid = api_pay_milestone(client, mid, biz)
    assert paid["paid"], paid
    opened = client.post(
        f"{API}/milestones/{mid}/disputes", json={"reason": "Nothing arrived"}, headers=biz
    )
    assert opened.status_code == 201, opened.get_json()
    did = opened.get_json()["id"]
    evidence = client.post(
        f"{API}/disputes/{did}/evidence", json={"body": "Emails attached"}, headers=biz
    )
    assert evidence.status_code == 200, evidence.get_json()
    assert "evidence" in [e["action"] for e in evidence.get_json()["events"]]
    proposal = client.post(
        f"{API}/disputes/{did}/settlement", json={"refund_minor": 1000}, headers=biz
    )
    assert proposal.status_code == 200 and proposal.get_json()["settlement_refund_minor"] == 1000
    assert client.post(f"{API}/disputes/{did}/claim", headers=biz).status_code == 403
    withdrawn = client.post(f"{API}/disputes/{did}/withdraw", headers=biz)
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["state"] == "withdrawn"
    refunded = client.post(f"{API}/milestones/{mid}/refund", json={"reason": "Sorry"}, headers=cr)
    assert refunded.status_code == 200, refunded.get_json()
    assert refunded.get_json()["refunded_minor"] == milestone["amount_minor"]
    session.expire_all()
    assert session.get(Milestone, mid).refunded_minor == milestone["amount_minor"]
    assert session.scalar(select(func.count()).select_from(Dispute)) == 1
    assert ledger.check(session).ok


def test_payout_onboarding_link(client, session):
    creator = make_creator(session)
    headers = api_token(session, creator)
    business_headers = api_token(session, make_business(session))
    session.commit()
    response = client.post(f"{API}/payouts/onboarding", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["account_id"].startswith("acct_")
    assert response.get_json()["url"].startswith("http")
    assert client.post(f"{API}/payouts/onboarding", headers=business_headers).status_code == 403


def test_api_reference_page_renders_every_operation(client, session):
    from app.api.openapi import build_spec

    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for item in build_spec()["paths"].values():
        for op in item.values():
            assert f'id="op-{op["operationId"]}"' in html
    assert 'id="schema-Milestone"' in html
    main = html.split('<article class="api-docs">')[1].split("</article>")[0]
    assert "<script" not in main and "cdn" not in main  # nothing to fetch: works offline

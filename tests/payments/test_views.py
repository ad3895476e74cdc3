"""The payment pages, end to end over HTTP with the local Stripe emulator."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.devtools.stripe_emulator import EmulatorProcess
from app.payments import ledger, services
from app.payments.gateway import PaymentGateway
from app.payments.models import ConnectedAccount, Milestone, MilestoneState
from tests.checkout_support import pay_page
from tests.factories import INLINE_SCRIPT, login, make_business, make_creator

from .helpers import (
    DECLINED,
    VISA,
    assert_ledger_ok,
    delivered_milestone,
    event_count,
    first_milestone,
    funded_milestone,
    make_contract,
)

S = MilestoneState


@pytest.fixture(autouse=True)
def media_root(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh media folder per test: rolled-back tests reuse milestone ids."""
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    return tmp_path / "media"


def _html(response: Any) -> str:
    body = response.get_data(as_text=True)
    # The CSP forbids inline styles and scripts; none of our pages may rely on them.
    assert "style=" not in body and not INLINE_SCRIPT.search(body)
    return body


def _client_for(app: Flask, user: Any) -> FlaskClient:
    client = app.test_client()
    login(client, user)
    return client


def _state(session: Session, milestone: Milestone) -> str:
    session.expire_all()
    return str(session.get(Milestone, milestone.id).state)  # type: ignore[union-attr]


def _delivery_dir(app: Flask, milestone: Milestone) -> Path:
    return Path(app.config["MEDIA_ROOT"]) / "deliveries" / str(milestone.id)


def _files(app: Flask, milestone: Milestone) -> list[Path]:
    directory = _delivery_dir(app, milestone)
    return sorted(directory.iterdir()) if directory.exists() else []


def test_fund_deliver_accept_through_the_pages(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    contract = make_contract(session, amount=25_000)
    milestone = first_milestone(session, contract)
    business = _client_for(app, contract.business)
    creator = _client_for(app, contract.creator)

    page = _html(business.get(f"/contracts/{contract.id}"))
    assert "$250.00" in page and f"/milestones/{milestone.id}/fund" in page
    fund_page = business.get(f"/milestones/{milestone.id}/fund")
    body = _html(fund_page)
    assert fund_page.status_code == 200
    assert 'id="card-element"' in body and "Test mode" in body
    response = pay_page(business, f"/milestones/{milestone.id}/fund", VISA)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert _state(session, milestone) == S.FUNDED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 25_000

    assert f"/milestones/{milestone.id}/deliver" in _html(creator.get(f"/contracts/{contract.id}"))
    assert creator.get(f"/milestones/{milestone.id}/deliver").status_code == 200
    response = creator.post(
        f"/milestones/{milestone.id}/deliver",
        data={
            "message": "Final logo attached.",
            "files": [(io.BytesIO(b"<svg>logo</svg>"), "../Final Logo.svg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _state(session, milestone) == S.DELIVERED
    stored = _files(app, milestone)
    assert len(stored) == 1 and stored[0].name.endswith("_Final_Logo.svg")
    assert milestone.delivery_files == [stored[0].name]

    page = _html(business.get(f"/contracts/{contract.id}"))
    assert "Final logo attached." in page and "Final_Logo.svg" in page
    download = business.get(f"/milestones/{milestone.id}/files/{stored[0].name}")
    assert download.status_code == 200 and download.data == b"<svg>logo</svg>"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert creator.get(f"/milestones/{milestone.id}/files/{stored[0].name}").status_code == 200

    response = business.post(f"/milestones/{milestone.id}/accept")
    assert response.status_code == 302
    assert _state(session, milestone) == S.RELEASED
    assert ledger.balance(session, ledger.creator_pending(contract.creator_id), "USD") == 22_500
    assert_ledger_ok(session)


def test_declined_card_shows_an_error_and_changes_nothing(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    business = _client_for(app, contract.business)
    before = ledger.snapshot(session)
    response = pay_page(business, f"/milestones/{milestone.id}/fund", DECLINED)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/milestones/{milestone.id}/fund")
    page = _html(business.get(response.headers["Location"]))
    assert "declined" in page.lower() and "Nothing was charged" in page
    assert _state(session, milestone) == S.PENDING
    assert ledger.snapshot(session) == before
    assert_ledger_ok(session)
    # As on Stripe, the same payment can then be completed with another card.
    response = pay_page(business, f"/milestones/{milestone.id}/fund", VISA)
    assert response.status_code == 303
    assert _state(session, milestone) == S.FUNDED
    assert_ledger_ok(session)


def test_only_the_business_may_open_the_fund_page(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    for user in (contract.creator, make_business(session)):
        other = _client_for(app, user)
        assert other.get(f"/milestones/{milestone.id}/fund").status_code == 404
        # No card is ever posted to us: the page only takes GET.
        assert other.post(f"/milestones/{milestone.id}/fund").status_code == 405
    assert _state(session, milestone) == S.PENDING
    assert client.get(f"/milestones/{milestone.id}/fund").status_code == 302  # to the login


def test_deliver_by_someone_else_is_404_and_changes_nothing(
    app: Flask, client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway)
    events = event_count(session)
    for user in (make_creator(session), milestone.contract.business):
        other = _client_for(app, user)
        response = other.post(
            f"/milestones/{milestone.id}/deliver",
            data={"message": "Mine now", "files": [(io.BytesIO(b"x"), "x.txt")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 404
    assert _state(session, milestone) == S.FUNDED
    assert event_count(session) == events and _files(app, milestone) == []


def test_failed_delivery_keeps_no_files(app: Flask, client: FlaskClient, session: Session) -> None:
    contract = make_contract(session)  # pending: cannot be delivered yet
    milestone = first_milestone(session, contract)
    creator = _client_for(app, contract.creator)
    response = creator.post(
        f"/milestones/{milestone.id}/deliver",
        data={"message": "Too early", "files": [(io.BytesIO(b"x"), "early.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert "pending" in _html(response)
    assert _state(session, milestone) == S.PENDING and _files(app, milestone) == []


def test_delivery_validation(
    app: Flask,
    client: FlaskClient,
    session: Session,
    gateway: PaymentGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    milestone = funded_milestone(session, gateway)
    creator = _client_for(app, milestone.contract.creator)
    url = f"/milestones/{milestone.id}/deliver"
    assert creator.post(url, data={"message": ""}).status_code == 422
    assert creator.post(url, data={"message": "x" * 5001}).status_code == 422
    monkeypatch.setitem(app.config, "DELIVERY_MAX_FILE_BYTES", 10)
    response = creator.post(
        url,
        data={"message": "Big", "files": [(io.BytesIO(b"x" * 11), "big.bin")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "limited to" in _html(response)
    monkeypatch.setitem(app.config, "DELIVERY_MAX_FILES", 2)
    files = [(io.BytesIO(b"x"), f"f{i}.txt") for i in range(3)]
    response = creator.post(
        url, data={"message": "Many", "files": files}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "at most 2 files" in _html(response)
    assert _state(session, milestone) == S.FUNDED and _files(app, milestone) == []


def test_delivered_files_are_private_to_the_parties(
    app: Flask, client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway)
    creator = _client_for(app, milestone.contract.creator)
    creator.post(
        f"/milestones/{milestone.id}/deliver",
        data={"message": "Here", "files": [(io.BytesIO(b"secret"), "plan.pdf")]},
        content_type="multipart/form-data",
    )
    (name,) = [path.name for path in _files(app, milestone)]
    url = f"/milestones/{milestone.id}/files/{name}"
    assert _client_for(app, make_business(session)).get(url).status_code == 404
    assert _client_for(app, make_creator(session)).get(url).status_code == 404
    assert client.get(url).status_code == 302  # anonymous: to the login page
    # A name that was never delivered is 404 even for a party.
    assert creator.get(f"/milestones/{milestone.id}/files/..%2Fsecret").status_code == 404
    assert creator.get(f"/milestones/{milestone.id}/files/other.pdf").status_code == 404


def test_request_changes_needs_a_note(
    app: Flask, client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    business = _client_for(app, milestone.contract.business)
    url = f"/milestones/{milestone.id}/request-changes"
    response = business.post(url, data={"note": "  "})
    assert response.status_code == 422 and "Say what should change" in _html(response)
    assert _state(session, milestone) == S.DELIVERED
    assert business.post(url, data={"note": "Use blue"}).status_code == 302
    assert _state(session, milestone) == S.CHANGES_REQUESTED
    creator_page = _client_for(app, milestone.contract.creator).get(
        f"/contracts/{milestone.contract_id}"
    )
    assert "Use blue" in _html(creator_page)
    # Accepting now is an illegal transition: 409, nothing released.
    assert business.post(f"/milestones/{milestone.id}/accept").status_code == 409
    assert _state(session, milestone) == S.CHANGES_REQUESTED
    assert_ledger_ok(session)


def test_refund_before_delivery(
    app: Flask, client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway)
    outsider = _client_for(app, make_business(session))
    assert outsider.post(f"/milestones/{milestone.id}/refund").status_code == 404
    business = _client_for(app, milestone.contract.business)
    # The business asks; nothing moves until the creator agrees (by refunding).
    response = business.post(f"/milestones/{milestone.id}/refund", data={"reason": "Cancelled"})
    assert response.status_code == 302
    assert _state(session, milestone) == S.FUNDED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == milestone.amount_minor
    creator = _client_for(app, milestone.contract.creator)
    page = _html(creator.get(f"/contracts/{milestone.contract_id}"))
    assert "Refund the business" in page and "data-confirm" in page
    response = creator.post(f"/milestones/{milestone.id}/refund", data={"reason": "Agreed"})
    assert response.status_code == 302
    assert _state(session, milestone) == S.REFUNDED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 0
    again = creator.post(f"/milestones/{milestone.id}/refund")
    assert again.status_code == 409
    assert business.post(f"/milestones/{milestone.id}/refund").status_code == 409
    assert_ledger_ok(session)


def test_split_before_funding(app: Flask, client: FlaskClient, session: Session) -> None:
    contract = make_contract(session, amount=10_000)
    business = _client_for(app, contract.business)
    assert "Split into milestones" in _html(business.get(f"/contracts/{contract.id}"))

    def rows(*pairs: tuple[str, str]) -> dict[str, str]:
        data = {}
        for index, (title, amount) in enumerate(pairs):
            data[f"rows-{index}-title"] = title
            data[f"rows-{index}-amount"] = amount
        return data

    url = f"/contracts/{contract.id}/milestones"
    response = business.post(url, data=rows(("Sketches", "30"), ("Final", "60")))
    assert response.status_code == 422 and "add up" in _html(response)
    assert len(services.milestones_of(session, contract.id)) == 1
    response = business.post(url, data=rows(("Sketches", "30"), ("Final", "abc")))
    assert response.status_code == 422
    creator = _client_for(app, contract.creator)
    assert creator.post(url, data=rows(("All", "100"))).status_code == 403
    response = business.post(url, data=rows(("Sketches", "30.50"), ("Final", "69.50")))
    assert response.status_code == 302
    session.expire_all()
    split = services.milestones_of(session, contract.id)
    assert [(m.title, m.amount_minor) for m in split] == [("Sketches", 3050), ("Final", 6950)]


def test_earnings_page_shows_fee_hold_and_clearing(
    app: Flask, client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    services.accept(session, milestone.id, business=milestone.contract.business)
    creator = _client_for(app, milestone.contract.creator)
    response = creator.get("/earnings")
    body = _html(response)
    assert response.status_code == 200
    # Neutral reputation: 10% fee and an 8 day (192 hour) hold; $100 -> $90 net, clearing.
    assert "10.00%" in body and "8 days" in body and "192 hours" not in body
    assert "Platform fee = 15% − 10% × reputation" in body
    assert "$90.00" in body and milestone.title in body
    assert "Set up payouts" in body
    assert "/earnings" in creator.get("/").get_data(as_text=True)  # nav link
    business = _client_for(app, milestone.contract.business)
    assert business.get("/earnings").status_code == 403


def test_payouts_onboarding_round_trip(
    app: Flask, client: FlaskClient, session: Session, emulator: EmulatorProcess
) -> None:
    user = make_creator(session)
    creator = _client_for(app, user)
    csp = creator.get("/earnings").headers["Content-Security-Policy"]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(emulator.api_base))
    assert f"form-action 'self' {origin};" in csp
    response = creator.post("/payouts/onboarding")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(origin + "/")
    account = session.get(ConnectedAccount, user.id)
    assert account is not None and not account.ready
    emulator.complete_onboarding(account.stripe_account_id)
    response = creator.get("/payouts/onboarding/return")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(ConnectedAccount, user.id).ready  # type: ignore[union-attr]
    assert "Payouts are set up" in _html(creator.get("/earnings"))


def test_payment_history_lists_the_payment(
    app: Flask, client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway, amount=12_345)
    business = _client_for(app, milestone.contract.business)
    response = business.get("/payments")
    body = _html(response)
    assert response.status_code == 200
    assert milestone.contract.title in body and "$123.45" in body and "Funded" in body
    assert "/payments" in business.get("/").get_data(as_text=True)  # nav link
    assert _client_for(app, make_business(session)).get("/payments").status_code == 200
    assert milestone.contract.title not in _client_for(app, make_business(session)).get(
        "/payments"
    ).get_data(as_text=True)
    assert _client_for(app, milestone.contract.creator).get("/payments").status_code == 403


def test_posts_need_a_csrf_token(
    app: Flask,
    client: FlaskClient,
    session: Session,
    gateway: PaymentGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    milestone = delivered_milestone(session, gateway)
    business = _client_for(app, milestone.contract.business)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert business.post(f"/milestones/{milestone.id}/accept").status_code == 400
    assert _state(session, milestone) == S.DELIVERED


def test_fund_page_with_real_stripe_keys_loads_stripes_own_stripe_js(
    app: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    monkeypatch.setitem(app.config, "STRIPE_JS_URL", "https://js.stripe.com/v3/")
    business = _client_for(app, contract.business)
    response = business.get(f"/milestones/{milestone.id}/fund")
    body = _html(response)
    assert response.status_code == 200
    assert '<script src="https://js.stripe.com/v3/"></script>' in body and "4242" not in body
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com;" in csp
    session.expire_all()
    stored = session.get(Milestone, milestone.id)
    assert stored is not None and stored.payment_intent_id and stored.payment_intent_id in body
    assert 'data-client-secret="pi_' in body
    # No card can be posted to the server in any mode; nothing is paid.
    response = business.post(f"/milestones/{milestone.id}/fund", data={"card_number": VISA})
    assert response.status_code == 405
    assert _state(session, milestone) == S.PENDING

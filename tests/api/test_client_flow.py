"""A typed Python client generated from /api/v1/openapi.json drives a whole hire-and-pay flow.

The client is generated in the test run by openapi-python-client (the same command
integrators run, see README), imported, and pointed at the app on a real port: a creator
publishes an offer, a business orders a package and pays it with a test card, the creator
delivers, the business accepts, and the creator's earnings show the money. Every call goes
through the generated, typed functions and models, so a document that no longer matches the
API breaks this test.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.api.openapi import build_spec
from app.payments import ledger
from tests.checkout_support import VISA, stripe_js_confirm
from tests.factories import api_token, make_business, make_creator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def c2b_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("client")
    (root / "openapi.json").write_text(json.dumps(build_spec()))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(root / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(root / "c2b_client"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("c2b_client")
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.split(".")[0] == "c2b_client"]:
            del sys.modules[name]


class _Tag:
    """The generated operations of one tag: ``_Tag("offers").create_offer`` is the module
    ``c2b_client.api.offers.create_offer``."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __getattr__(self, operation: str) -> Any:
        return importlib.import_module(f"c2b_client.api.{self.tag}.{operation}")


def _call(module: Any, **kwargs: Any) -> Any:
    """A generated operation, asserting a 2xx answer; returns its parsed model."""
    response = module.sync_detailed(**kwargs)
    assert 200 <= response.status_code < 300, response.content[:500]
    return response.parsed


def test_hire_and_pay_through_the_typed_client(c2b_client: Any, committed, live_server) -> None:
    models = importlib.import_module("c2b_client.models")
    offers, contracts, milestones, earnings, accounts = (
        _Tag(name) for name in ("offers", "contracts", "milestones", "earnings", "accounts")
    )

    session = committed
    creator_user, business_user = make_creator(session), make_business(session)
    creator_auth, business_auth = (
        api_token(session, creator_user),
        api_token(session, business_user),
    )
    session.commit()

    def client(headers: dict[str, str]) -> Any:
        token = headers["Authorization"].removeprefix("Bearer ")
        return c2b_client.AuthenticatedClient(base_url=live_server.url + "/api/v1", token=token)

    creator, business = client(creator_auth), client(business_auth)

    me = _call(accounts.get_me, client=creator)
    assert me.id == creator_user.id and [str(r) for r in me.roles] == ["creator"]

    draft = _call(
        offers.create_offer,
        client=creator,
        body=models.ServiceOfferCreate(
            kind="service",
            title="Logo design for a coffee shop",
            description="Three logo concepts, two rounds of revisions, final vector files.",
            category=models.ServiceOfferCreateCategory("Design & Creative"),
            packages=[
                models.PackageIn(
                    tier=models.PackageInTier.BASIC, price_minor=12_000, delivery_days=5
                )
            ],
        ),
    )
    assert isinstance(draft, models.ServiceOffer) and str(draft.status) == "draft"
    _call(offers.publish_offer, client=creator, offer_id=draft.id)

    contract = _call(
        contracts.order_package,
        client=business,
        offer_id=draft.id,
        body=models.OrderIn(tier=models.OrderInTier.BASIC),
    )
    assert contract.total_minor == 12_000 and str(contract.role) == "business"
    (milestone,) = _call(contracts.list_milestones, client=business, contract_id=contract.id).items

    funding = _call(
        milestones.fund_milestone,
        client=business,
        milestone_id=milestone.id,
        body=models.NoFields(),
    )
    assert funding.client_secret and funding.publishable_key
    # Stripe.js confirms the card in the buyer's browser: the API never sees a card number.
    stripe_js_confirm(funding.client_secret, VISA, publishable_key=funding.publishable_key)
    synced = _call(
        milestones.sync_payment, client=business, payment_intent_id=funding.payment_intent_id
    )
    assert synced.paid, synced.message
    (funded,) = _call(contracts.list_milestones, client=business, contract_id=contract.id).items
    assert str(funded.state) == "funded" and funded.payment_intent_id.startswith("pi_")
    assert funded.charge_id

    delivered = _call(
        milestones.deliver_milestone,
        client=creator,
        milestone_id=milestone.id,
        body=models.DeliverIn(message="Three concepts attached as discussed."),
    )
    assert str(delivered.state) == "delivered"
    accepted = _call(milestones.accept_milestone, client=business, milestone_id=milestone.id)
    assert str(accepted.state) == "released" and accepted.released_minor == 12_000

    report = _call(earnings.get_earnings, client=creator)
    pending = report.pending.to_dict()
    assert report.currencies == ["EUR", "GBP", "USD"] and set(pending) == set(report.currencies)
    assert 0 < pending["USD"] < 12_000 and pending["EUR"] == 0  # net of the platform fee

    refused = milestones.accept_milestone.sync_detailed(client=creator, milestone_id=milestone.id)
    assert refused.status_code == 403 and isinstance(refused.parsed, models.Problem)

    session.expire_all()
    assert ledger.check(session).ok
    assert Path(c2b_client.__file__).exists()

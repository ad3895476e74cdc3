"""JSON API: public listing and detail, licences (strict input, roles, 404s), OpenAPI."""

from __future__ import annotations

import pytest

from app.api.openapi import build_spec
from app.media import services
from tests.checkout_support import stripe_js_confirm
from tests.factories import api_token, make_business, make_creator, make_user
from tests.media.helpers import VISA, counts, published_asset, upload


def test_list_and_get_listed_media(client, session, storage):
    asset = published_asset(
        session, storage, title="Red tractor in a wheat field", keywords=["farm", "tractor"]
    )
    pending = upload(session, storage, make_creator(session), seed=5, title="Tractor draft")
    response = client.get("/api/v1/media?q=tractor")
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [asset.id] and body["total"] == 1
    item = body["items"][0]
    assert item["standard_license_minor"] == 2_500 and item["enhanced_license_minor"] == 9_900
    assert item["preview_url"] == f"/media/{asset.id}/preview.jpg"
    assert "original_key" not in item and asset.original_key not in str(body)
    assert client.get(f"/api/v1/media/{asset.id}").get_json()["title"] == asset.title
    assert client.get(f"/api/v1/media/{pending.id}").status_code == 404
    owner = api_token(session, pending.creator)
    assert client.get(f"/api/v1/media/{pending.id}", headers=owner).get_json()["state"] == "pending"
    moderator = api_token(session, make_user(session, moderator=True))
    assert client.get(f"/api/v1/media/{pending.id}", headers=moderator).status_code == 200
    assert client.get("/api/v1/media?kind=gif").status_code == 422
    assert client.get(f"/api/v1/media/{2**63}").status_code == 404


def test_buy_a_licence_through_the_api(client, session, storage):
    asset = published_asset(session, storage)
    business = make_business(session)
    headers = api_token(session, business)
    response = client.post(
        f"/api/v1/media/{asset.id}/licenses", headers=headers, json={"license_type": "enhanced"}
    )
    assert response.status_code == 201, response.get_json()
    started = response.get_json()
    assert started["status"] == "pending" and started["publishable_key"].startswith("pk_")
    paid = stripe_js_confirm(started["client_secret"], VISA)
    synced = client.post(f"/api/v1/payments/{paid['id']}/sync", headers=headers)
    assert synced.status_code == 200 and synced.get_json()["paid"] is True
    listing = client.get(f"/api/v1/media/{asset.id}/licenses", headers=headers).get_json()
    body = listing["items"][0]
    assert body["status"] == "active" and body["price_minor"] == 9_900
    assert body["download_url"].startswith(f"/media/licenses/{body['id']}/download/")
    assert body["download_expires_in"] == 600
    download = client.get(body["download_url"], headers=headers)
    assert download.get_data() == storage.get(asset.original_key)
    # The creator sees the licence sold, without a download link.
    creator_view = client.get(
        f"/api/v1/media/{asset.id}/licenses", headers=api_token(session, asset.creator)
    ).get_json()
    assert creator_view["items"][0]["download_url"] is None


def test_pending_purchase_returns_a_client_secret(client, session, storage):
    asset = published_asset(session, storage)
    headers = api_token(session, make_business(session))
    response = client.post(
        f"/api/v1/media/{asset.id}/licenses", headers=headers, json={"license_type": "standard"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["client_secret"] and body["download_url"] is None
    again = client.post(
        f"/api/v1/media/{asset.id}/licenses", headers=headers, json={"license_type": "standard"}
    ).get_json()
    assert again["id"] == body["id"]  # resumed, not a second PaymentIntent


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"license_type": 1},
        {"license_type": "platinum"},
        {"license_type": "standard", "x": 1},
        {"license_type": "standard", "test_card": VISA},  # no card path of any kind
        {"license_type": "standard", "card_number": VISA},
    ],
)
def test_bad_purchase_input_is_422_and_changes_nothing(client, session, storage, payload):
    asset = published_asset(session, storage)
    headers = api_token(session, make_business(session))
    before = counts(session)
    response = client.post(f"/api/v1/media/{asset.id}/licenses", headers=headers, json=payload)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json" and response.get_json()["errors"]
    session.expire_all()
    assert counts(session) == before


def test_purchase_roles_and_visibility(client, session, storage):
    asset = published_asset(session, storage)
    pending = upload(session, storage, asset.creator, seed=9)
    creator_headers = api_token(session, make_creator(session))
    business = api_token(session, make_business(session))
    body = {"license_type": "standard"}
    assert client.post(f"/api/v1/media/{asset.id}/licenses", json=body).status_code == 401
    assert (
        client.post(
            f"/api/v1/media/{asset.id}/licenses", json=body, headers=creator_headers
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/media/{pending.id}/licenses", json=body, headers=business).status_code
        == 404
    )
    assert client.get(f"/api/v1/media/{pending.id}/licenses", headers=business).status_code == 404
    assert services.review_queue(session) == [pending]


def test_openapi_fragment_describes_the_endpoints(client):
    spec = build_spec()
    for path in ("/media", "/media/{asset_id}", "/media/{asset_id}/licenses"):
        assert path in spec["paths"]
    assert {"get", "post"} <= set(spec["paths"]["/media/{asset_id}/licenses"])
    for name in ("MediaAsset", "MediaPage", "MediaLicense", "MediaLicenseIn"):
        assert name in spec["components"]["schemas"]
    asset_schema = spec["components"]["schemas"]["MediaAsset"]
    assert set(asset_schema["required"]) == set(asset_schema["properties"])

"""Upload -> review -> publish -> license -> download, and nobody else reaches the original."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.errors import Conflict, NotFound, PermissionDenied
from app.media import licensing, services
from app.media.models import LicenseStatus, MediaLicense
from app.payments import ledger
from tests.checkout_support import DECLINED, pay_licence, pay_page
from tests.factories import api_token, login, make_business, make_creator, make_user
from tests.media.helpers import (
    VISA,
    counts,
    encode,
    picture,
    process_uploads,
    published_asset,
    stock_offer,
)


def _client(app):
    return app.test_client()


def test_upload_review_publish_license_download(app, session, storage, gateway):
    creator, business = make_creator(session), make_business(session)
    moderator = make_user(session, moderator=True)
    offer = stock_offer(session, creator)
    original = encode(picture(21), "JPEG", quality=95)

    creator_client = _client(app)
    login(creator_client, creator)
    response = creator_client.post(
        "/media/upload",
        data={
            "offer_id": offer.id,
            "title": "Lighthouse in a storm",
            "category": "Photography",
            "keywords": "lighthouse, storm, sea",
            "file": (io.BytesIO(original), "x.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    asset = services.creator_assets(session, creator)[0]
    # Still processing: the preview is a placeholder, and a moderator cannot approve it yet.
    assert asset.processed_at is None
    mod_client = _client(app)
    login(mod_client, moderator)
    assert mod_client.post(f"/moderation/media/{asset.id}/approve").status_code == 409
    assert process_uploads(session).done == 1
    session.refresh(asset)
    # Pending media is not listed: not in the grid, 404 to the public.
    anonymous = _client(app)
    assert anonymous.get(f"/media/{asset.id}").status_code == 404
    assert anonymous.get(f"/media/{asset.id}/preview.jpg").status_code == 404
    assert "Lighthouse" not in anonymous.get("/media?q=lighthouse").get_data(as_text=True)

    queue = mod_client.get("/moderation/media").get_data(as_text=True)
    assert "Lighthouse in a storm" in queue
    assert mod_client.post(f"/moderation/media/{asset.id}/approve").status_code == 302
    grid = anonymous.get("/media?q=lighthouse storm").get_data(as_text=True)
    assert f"/media/{asset.id}" in grid
    page = anonymous.get(f"/media/{asset.id}").get_data(as_text=True)
    assert "$25.00" in page and "$99.00" in page  # the offer's standard / enhanced prices

    buyer = _client(app)
    login(buyer, business)
    before = ledger.snapshot(session)
    chosen = buyer.post(f"/media/{asset.id}/license", data={"license_type": "standard"})
    assert chosen.status_code == 303, chosen.get_data(as_text=True)[:1500]
    response = pay_page(buyer, chosen.headers["Location"], VISA)
    assert response.status_code == 303 and response.headers["Location"].endswith("/my/licenses")
    session.expire_all()
    licence = session.query(MediaLicense).one()
    assert (licence.status, licence.licensee_id, licence.license_type) == (
        LicenseStatus.ACTIVE,
        business.id,
        "standard",
    )
    assert licence.price_minor == 2_500 and licence.fee_bp == 4000 and licence.fee_minor == 1_000
    assert "Standard licence" in licence.terms and licence.sold_at is not None
    assert ledger.snapshot(session) != before
    assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == 1_500

    listing = buyer.get("/my/licenses").get_data(as_text=True)
    link = re.search(r'href="(/media/licenses/\d+/download/[^"]+)"', listing).group(1)
    download = buyer.get(link)
    assert download.status_code == 200
    assert download.get_data() == original
    assert "attachment" in download.headers["Content-Disposition"]
    assert "no-store" in download.headers["Cache-Control"]

    # Nobody else gets it with the same link: other business, the creator, a moderator.
    for user in (make_business(session), creator, moderator):
        other = _client(app)
        login(other, user)
        assert other.get(link).status_code == 404
    # Anonymous: sent to sign in, no file.
    response = anonymous.get(link)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_download_links_expire_and_cannot_be_forged(app, session, storage, gateway):
    asset = published_asset(session, storage)
    business = make_business(session)
    licence = pay_licence(session, gateway, asset.id, business, "enhanced", VISA)
    assert licence.price_minor == 9_900
    client = _client(app)
    login(client, business)
    start = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        token = licensing.download_token(licence, business)
        url = f"/media/licenses/{licence.id}/download/{token}"
        assert client.get(url).status_code == 200
        clock.advance(timedelta(seconds=licensing.DOWNLOAD_MAX_AGE + 1))
        expired = client.get(url)
        assert expired.status_code == 403
        assert b"expired" in expired.get_data()
    # A token for this licence does not open another one, and tampering is refused.
    second = pay_licence(
        session, gateway, published_asset(session, storage, seed=2).id, business, "standard", VISA
    )
    token = licensing.download_token(licence, business)
    assert client.get(f"/media/licenses/{second.id}/download/{token}").status_code == 404
    assert client.get(f"/media/licenses/{licence.id}/download/{token}x").status_code == 404
    forged = licensing.URLSafeTimedSerializer("wrong-secret", salt=licensing.DOWNLOAD_SALT).dumps(
        {"l": licence.id, "u": business.id}
    )
    assert client.get(f"/media/licenses/{licence.id}/download/{forged}").status_code == 404


def test_original_is_not_reachable_by_any_public_url(app, client, session, storage):
    asset = published_asset(session, storage)
    original = storage.get(asset.original_key)
    stranger = make_business(session)
    login(client, stranger)
    bodies = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        if "asset_id" in rule.arguments and rule.arguments <= {"asset_id"}:
            response = client.get(rule.build({"asset_id": asset.id})[1])
            bodies.append((rule.rule, response.status_code, response.get_data()))
    assert bodies
    for rule, _status, body in bodies:
        assert original not in body, rule
        assert asset.original_key.encode() not in body, rule
    statuses = {rule: status for rule, status, _ in bodies}
    assert statuses["/moderation/media/<int:asset_id>/original"] == 403
    # The media root is not a static folder.
    assert client.get(f"/static/../{asset.original_key}").status_code == 404


def test_purchase_guards_change_nothing(session, storage, gateway):
    asset = published_asset(session, storage)
    business = make_business(session)
    before = counts(session)
    with pytest.raises(PermissionDenied):
        pay_licence(session, gateway, asset.id, asset.creator, "standard", VISA)
    with pytest.raises(NotFound):
        pay_licence(session, gateway, asset.id + 999, business, "standard", VISA)
    pending = services.upload(
        session,
        storage,
        asset.creator,
        encode(picture(40)),
        services.MediaInput(offer_id=asset.offer_id, title="Unreviewed"),
    )
    after_upload = counts(session)
    with pytest.raises(NotFound):
        pay_licence(session, gateway, pending.id, business, "standard", VISA)
    assert counts(session) == after_upload
    assert after_upload["media_licenses"] == before["media_licenses"] == 0
    pay_licence(session, gateway, asset.id, business, "standard", VISA)
    snapshot = ledger.snapshot(session)
    with pytest.raises(Conflict):
        pay_licence(session, gateway, asset.id, business, "standard", VISA)
    assert ledger.snapshot(session) == snapshot


def test_declined_card_books_nothing(app, client, session, storage):
    asset = published_asset(session, storage)
    business = make_business(session)
    login(client, business)
    before, entries = counts(session), ledger.snapshot(session)
    chosen = client.post(f"/media/{asset.id}/license", data={"license_type": "standard"})
    response = pay_page(client, chosen.headers["Location"], DECLINED)
    # Back on the payment page, which says why; the licence stays pending, nothing booked.
    assert response.headers["Location"] == chosen.headers["Location"]
    page = client.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "declined" in page and "Nothing was charged" in page
    session.expire_all()
    licences = session.query(MediaLicense).all()
    assert [licence.status for licence in licences] == [LicenseStatus.PENDING]
    assert counts(session)["media_licenses"] == before["media_licenses"] + 1
    assert ledger.snapshot(session) == entries


def test_withdrawn_media_stays_downloadable_for_licensees(app, session, storage, gateway):
    asset = published_asset(session, storage)
    business = make_business(session)
    licence = pay_licence(session, gateway, asset.id, business, "standard", VISA)
    services.withdraw(session, asset.id, creator=asset.creator)
    headers = api_token(session, business)
    client = _client(app)
    assert client.get(f"/api/v1/media/{asset.id}").status_code == 404
    listing = client.get(f"/api/v1/media/{asset.id}/licenses", headers=headers)
    assert listing.status_code == 200
    url = listing.get_json()["items"][0]["download_url"]
    assert listing.get_json()["items"][0]["id"] == licence.id
    response = client.get(url, headers=headers)
    assert response.status_code == 200 and response.get_data() == storage.get(asset.original_key)
    # Another token holder with the licensee's URL: 404.
    intruder = api_token(session, make_business(session))
    assert client.get(url, headers=intruder).status_code == 404
    assert client.get(f"/api/v1/media/{asset.id}/licenses", headers=intruder).status_code == 404


def test_a_stripe_js_purchase_is_confirmed_by_the_webhook(
    app, client, session, storage, gateway, emulator
):
    """Real-card mode: the browser confirms with Stripe.js, payment_intent.succeeded arrives
    at /stripe/webhook, and the licence becomes active exactly once."""
    import uuid

    from tests.payments.helpers import stripe_client
    from tests.stripe_support import event_payload, sign

    business = make_business(session)
    asset = published_asset(session, storage)
    licence, intent = licensing.start_purchase(
        session, gateway, asset.id, business=business, license_type="standard"
    )
    stripe = stripe_client(emulator)
    stripe.v1.payment_intents.update(intent.id, {"payment_method": "pm_card_visa"})
    stripe.v1.payment_intents.confirm(intent.id)
    assert licence.status == LicenseStatus.PENDING

    payload = event_payload(
        f"evt_{uuid.uuid4().hex}",
        "payment_intent.succeeded",
        {"id": intent.id, "object": "payment_intent", "status": "succeeded"},
    )
    for _ in range(2):  # a redelivered event has no second effect
        response = client.post(
            "/stripe/webhook",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": sign(payload)},
        )
        assert response.status_code == 200
    session.refresh(licence)
    assert licence.status == LicenseStatus.ACTIVE
    fee = ledger.balance(session, ledger.PLATFORM_FEES, licence.currency)
    net = ledger.balance(session, ledger.creator_pending(licence.creator_id), licence.currency)
    assert fee > 0 and net > 0 and fee + net == licence.price_minor  # booked once, in full
    assert ledger.check(session).ok

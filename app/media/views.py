"""HTML views for stock media: grid, asset page, previews, upload, my media, licences,
signed downloads, the moderators' review queue and the brief's "license or commission" page."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.accounts.services import user_for_api_token
from app.briefs.models import Brief
from app.db import MAX_ID
from app.errors import DomainError, NotFound
from app.extensions import db, login_manager
from app.forms import FORM_ERROR_STATUS, apply_errors
from app.media import licensing, matching, royalties, services
from app.media.forms import ActionForm, LicenseForm, RejectForm, UploadForm
from app.media.models import LicenseStatus, MediaAsset
from app.media.storage import StorageError, processing_card, storage_for
from app.offers.models import Offer, OfferKind, OfferStatus
from app.payments.checkout import checkout_for
from app.payments.gateway import gateway_for
from app.web import Page, attempt, get_owned_or_404, status_for

bp = Blueprint("media", __name__)
GRID_PAGE_SIZE = 24


def _viewer() -> User | None:
    return current() if current_user.is_authenticated else None


def _moderator() -> User:
    user = current()
    if not (user.is_moderator or user.is_admin):
        abort(403, description="This page is for moderators.")
    return user


# --- public pages ------------------------------------------------------------------------------


@bp.get("/media")
def grid() -> str:
    q = request.args.get("q", "")[:200]
    kind = request.args.get("kind", "")
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)
    result = services.search(db.session(), q=q, kind=kind, page=page, per_page=GRID_PAGE_SIZE)
    return render_template("media/grid.html", result=result, q=q, kind=kind)


@bp.get("/media/<int:asset_id>")
def detail(asset_id: int) -> Page:
    viewer = _viewer()
    session = db.session()
    asset = services.visible_asset(session, asset_id, viewer)
    can_buy = (
        services.is_listed(asset)
        and viewer is not None
        and viewer.is_business
        and (viewer.id != asset.creator_id)
    )
    owned = licensing.licenses_of(session, viewer, asset.id) if viewer is not None else []
    return render_template(
        "media/detail.html",
        asset=asset,
        prices=services.prices(asset),
        listed=services.is_listed(asset),
        is_owner=viewer is not None and viewer.id == asset.creator_id,
        can_buy=can_buy,
        owned=owned,
        form=LicenseForm() if can_buy else None,
        action_form=ActionForm(),
    )


def _image(asset_id: int, attribute: str) -> Response:
    viewer = _viewer()
    asset = services.visible_asset(db.session(), asset_id, viewer)
    if asset.processed_at is None:  # the job has not made it yet
        return processing_card(asset.width, asset.height)
    try:
        data = storage_for().get(getattr(asset, attribute))
    except StorageError:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=0)
    listed = services.is_listed(asset)
    response.headers["Cache-Control"] = "public, max-age=300" if listed else "private, no-store"
    return response


@bp.get("/media/<int:asset_id>/preview.jpg")
def preview(asset_id: int) -> Response:
    return _image(asset_id, "preview_key")


@bp.get("/media/<int:asset_id>/thumb.jpg")
def thumbnail(asset_id: int) -> Response:
    return _image(asset_id, "thumb_key")


# --- creators ----------------------------------------------------------------------------------


def _offer_choices(user: User) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Offer.id, Offer.title)
        .where(
            Offer.creator_id == user.id,
            Offer.kind == OfferKind.STOCK_MEDIA,
            Offer.status != OfferStatus.REMOVED,
        )
        .order_by(Offer.id.desc())
    )
    return [(offer_id, title) for offer_id, title in rows]


@bp.route("/media/upload", methods=["GET", "POST"])
@role_required(Role.CREATOR)
def upload() -> Page | Response:
    user = current()
    form = UploadForm()
    form.offer_id.choices = _offer_choices(user)
    limits = services.limits()
    if form.validate_on_submit():
        file = form.file.data
        release = form.release_document.data
        data = (
            file.stream.read(max(limits.image_max_bytes, limits.video_max_bytes) + 1)
            if file
            else b""
        )
        try:
            with attempt():
                asset = services.upload(
                    db.session(),
                    storage_for(),
                    user,
                    data,
                    form.to_input(),
                    filename=(file.filename or "") if file else "",
                    release_document=release.stream.read() if release else None,
                )
        except DomainError as error:
            apply_errors(form, error)
            status = status_for(error)
        else:
            flash("Uploaded. A moderator will review it before it is listed.", "success")
            return redirect(url_for("media.mine", uploaded=asset.id))
    else:
        status = FORM_ERROR_STATUS if form.is_submitted() else 200
    return render_template("media/upload.html", form=form, limits=limits), status


@bp.get("/my/media")
@role_required(Role.CREATOR)
def mine() -> str:
    assets = services.creator_assets(db.session(), current())
    return render_template(
        "media/mine.html", assets=assets, action_form=ActionForm(), tiers=royalties.TIERS
    )


@bp.post("/media/<int:asset_id>/withdraw")
@login_required
def withdraw(asset_id: int) -> Response:
    services.withdraw(db.session(), asset_id, creator=current())
    flash("Withdrawn: it is no longer listed. Licences already sold stay valid.", "success")
    return redirect(url_for("media.mine"))


# --- businesses --------------------------------------------------------------------------------


@bp.post("/media/<int:asset_id>/license")
@role_required(Role.BUSINESS)
def buy(asset_id: int) -> Page | Response:
    """Choose the licence; its PaymentIntent is made (once) and the card asked on the next page."""
    user = current()
    session = db.session()
    asset = services.visible_asset(session, asset_id, user)
    form = LicenseForm()
    if form.validate_on_submit():
        try:
            with attempt():
                licence, _intent = licensing.start_purchase(
                    session,
                    gateway_for(current_app),
                    asset.id,
                    business=user,
                    license_type=form.license_type.data or "",
                )
        except DomainError as error:
            apply_errors(form, error)
            status = status_for(error)
        else:
            return redirect(url_for("media.pay_license", license_id=licence.id), code=303)
    else:
        status = FORM_ERROR_STATUS
    context: dict[str, Any] = {
        "asset": asset,
        "prices": services.prices(asset),
        "listed": services.is_listed(asset),
        "is_owner": False,
        "can_buy": True,
        "owned": [],
        "form": form,
        "action_form": ActionForm(),
    }
    return render_template("media/detail.html", **context), status


@bp.get("/licenses/<int:license_id>/pay")
@role_required(Role.BUSINESS)
def pay_license(license_id: int) -> Page | Response:
    gateway = gateway_for(current_app)
    licence, intent = licensing.resume_purchase(
        db.session(), gateway, license_id, business=current()
    )
    if licence.status == LicenseStatus.ACTIVE:
        flash("This licence is already paid. Download the original from My licences.", "info")
        return redirect(url_for("media.my_licenses"))
    context = {
        "licence": licence,
        "asset": licence.asset,
        "checkout": checkout_for(intent, gateway),
    }
    return render_template("media/pay.html", **context)


@bp.get("/my/licenses")
@role_required(Role.BUSINESS)
def my_licenses() -> str:
    user = current()
    licences = licensing.licenses_of(db.session(), user)
    links = {
        item.id: url_for(
            "media.download", license_id=item.id, token=licensing.download_token(item, user)
        )
        for item in licences
    }
    return render_template(
        "media/licenses.html",
        licences=licences,
        links=links,
        max_age_minutes=licensing.DOWNLOAD_MAX_AGE // 60,
    )


def _download_user() -> User | None:
    if current_user.is_authenticated:
        return current()
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret:
        return user_for_api_token(db.session(), secret.strip())
    return None


@bp.get("/media/licenses/<int:license_id>/download/<token>")
def download(license_id: int, token: str) -> Response:
    """The original file, for the licensee who holds this short-lived signed link."""
    user = _download_user()
    if user is None and not request.headers.get("Authorization"):
        return login_manager.unauthorized()
    licence = licensing.license_for_download(db.session(), license_id, token, user)
    asset = licence.asset
    try:
        data = storage_for().get(asset.original_key)
    except StorageError:
        abort(404)
    extension = asset.original_key.rpartition(".")[2]
    response = send_file(
        io.BytesIO(data),
        mimetype=asset.content_type,
        as_attachment=True,
        download_name=f"cobalt-media-{asset.id}.{extension}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- moderators --------------------------------------------------------------------------------


@bp.get("/moderation/media")
@login_required
def review_queue() -> str:
    _moderator()
    return render_template(
        "media/review_queue.html",
        assets=services.review_queue(db.session()),
        action_form=ActionForm(),
        reject_form=RejectForm(formdata=None),
    )


@bp.post("/moderation/media/<int:asset_id>/approve")
@login_required
def approve(asset_id: int) -> Response:
    services.approve(db.session(), asset_id, moderator=_moderator())
    flash("Approved and listed.", "success")
    return redirect(url_for("media.review_queue"))


@bp.post("/moderation/media/<int:asset_id>/reject")
@login_required
def reject(asset_id: int) -> Page | Response:
    moderator = _moderator()
    form = RejectForm()
    if form.validate_on_submit():
        services.reject(db.session(), asset_id, moderator=moderator, reason=form.reason.data or "")
        flash("Rejected; the creator sees your reason.", "success")
        return redirect(url_for("media.review_queue"))
    flash(" ".join(form.reason.errors) or "Say why.", "error")
    return redirect(url_for("media.review_queue"))


def _private_file(asset_id: int, attribute: str, name: str) -> Response:
    _moderator()
    asset = db.session.get(MediaAsset, asset_id) if asset_id <= MAX_ID else None
    key = getattr(asset, attribute, None) if asset is not None else None
    if not key:
        abort(404)
    try:
        data = storage_for().get(key)
    except StorageError:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        as_attachment=True,
        max_age=0,
        download_name=f"{name}-{asset_id}.{key.rpartition('.')[2]}",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/moderation/media/<int:asset_id>/original")
@login_required
def moderation_original(asset_id: int) -> Response:
    return _private_file(asset_id, "original_key", "original")


@bp.get("/moderation/media/<int:asset_id>/release")
@login_required
def moderation_release(asset_id: int) -> Response:
    return _private_file(asset_id, "release_key", "release")


# --- briefs: license existing or commission new ----------------------------------------------


@bp.get("/briefs/<int:brief_id>/stock-media")
@login_required
def brief_stock(brief_id: int) -> str:
    user = current()
    if brief_id > MAX_ID:
        raise NotFound("No such brief.")
    brief = get_owned_or_404(db.session(), Brief, brief_id, user.id, owner_attr="business_id")
    try:
        matches: list[matching.AssetMatch] | None = matching.matching_assets(db.session(), brief)
    except Exception:  # the encoder failing must not take the page down
        current_app.logger.exception("stock media matching failed")
        matches = None
    return render_template(
        "media/brief_stock.html",
        brief=brief,
        matches=matches,
        wants_stock=matching.wants_stock_media(brief),
    )

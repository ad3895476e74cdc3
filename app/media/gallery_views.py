"""Pages for pictures: serving renditions, an offer's gallery, the user's avatar and portfolio.

Uploading has its own small pages (rather than a form on the offer page) so a refused file is
shown next to the field with a 422, like every other form.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.accounts.auth import current
from app.accounts.models import User
from app.errors import DomainError
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors
from app.media import gallery
from app.media.forms import ActionForm, PictureForm
from app.media.models import ImagePurpose
from app.media.storage import StorageError, processing_card, storage_for
from app.offers import services as offers
from app.web import Page

bp = Blueprint("gallery", __name__)


def _viewer() -> User | None:
    return current() if current_user.is_authenticated else None


@bp.get("/images/<int:image_id>/<int:width>.jpg")
def image(image_id: int, width: int) -> Response:
    picture, listed = gallery.visible_image(db.session(), image_id, _viewer())
    if width not in picture.widths:
        abort(404)
    if picture.processed_at is None:  # the job has not made it yet
        return processing_card(picture.width, picture.height)
    try:
        data = storage_for().get(picture.key(width))
    except StorageError:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=0)
    # A rendition never changes (a new picture gets a new id), so listed ones cache long.
    response.headers["Cache-Control"] = "public, max-age=86400" if listed else "private, no-store"
    return response


def _upload(form: PictureForm, **kwargs: object) -> DomainError | None:
    file = form.file.data
    data = file.stream.read(gallery._max_bytes(None) + 1) if file else b""
    try:
        gallery.add_image(
            db.session(),
            storage_for(),
            current(),
            data,
            title=form.title.data or "",
            description=form.description.data or "",
            **kwargs,  # type: ignore[arg-type]
        )
    except DomainError as error:
        apply_errors(form, error)
        return error
    return None


@bp.route("/offers/<int:offer_id>/pictures", methods=["GET", "POST"])
@login_required
def offer_pictures(offer_id: int) -> Page | Response:
    session = db.session()
    offer = offers.editable_offer(session, offer_id, current())
    form = PictureForm()
    status = 200
    if form.validate_on_submit():
        if _upload(form, purpose=ImagePurpose.OFFER, offer=offer) is None:
            flash("Picture added to the gallery.", "success")
            return redirect(url_for("gallery.offer_pictures", offer_id=offer.id), 303)
        status = FORM_ERROR_STATUS
    elif form.is_submitted():
        status = FORM_ERROR_STATUS
    pictures = gallery.offer_images(session, [offer.id]).get(offer.id, [])
    return render_template(
        "media/offer_pictures.html",
        offer=offer,
        pictures=pictures,
        form=form,
        action_form=ActionForm(),
        max_pictures=gallery.MAX_PER_OFFER,
    ), status


@bp.route("/settings/pictures", methods=["GET", "POST"])
@login_required
def my_pictures() -> Page | Response:
    user = current()
    session = db.session()
    avatar_form = PictureForm(prefix="avatar")
    portfolio_form = PictureForm(prefix="portfolio")
    # A POST that is neither form (no submit button of ours) is bad input, not a page view.
    status = FORM_ERROR_STATUS if request.method == "POST" else 200
    for form, purpose in (
        (avatar_form, ImagePurpose.AVATAR),
        (portfolio_form, ImagePurpose.PORTFOLIO),
    ):
        if form.submit.data and form.validate_on_submit():
            if _upload(form, purpose=purpose) is None:
                flash("Picture saved.", "success")
                return redirect(url_for("gallery.my_pictures"), 303)
            status = FORM_ERROR_STATUS
        elif form.submit.data:
            status = FORM_ERROR_STATUS
    return render_template(
        "media/my_pictures.html",
        avatar=gallery.avatars_of(session, [user.id]).get(user.id),
        portfolio=gallery.portfolios(session, [user.id]).get(user.id, []),
        avatar_form=avatar_form,
        portfolio_form=portfolio_form,
        action_form=ActionForm(),
        max_portfolio=gallery.MAX_PORTFOLIO,
    ), status


@bp.post("/images/<int:image_id>/remove")
@login_required
def remove(image_id: int) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    removed = gallery.remove_image(db.session(), storage_for(), image_id, owner=current())
    flash("Picture removed.", "success")
    if removed.offer_id is not None:
        return redirect(url_for("gallery.offer_pictures", offer_id=removed.offer_id), 303)
    return redirect(url_for("gallery.my_pictures"), 303)

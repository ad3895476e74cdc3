"""Receipt pages (printable HTML): a payout for its creator, a payment for its business."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.accounts.auth import current
from app.extensions import db
from app.payments import fees
from app.receipts import services

bp = Blueprint("receipts", __name__)


@bp.get("/receipts/payout/<int:payout_id>")
@login_required
def payout(payout_id: int) -> str:
    receipt = services.payout_receipt(db.session(), payout_id, current())
    return render_template("receipts/receipt.html", receipt=receipt)


@bp.get("/receipts/milestone/<int:milestone_id>")
@login_required
def milestone(milestone_id: int) -> str:
    return _spend("milestone", milestone_id)


@bp.get("/receipts/licence/<int:license_id>")
@login_required
def licence(license_id: int) -> str:
    return _spend("licence", license_id)


@bp.get("/receipts/contest/<int:contest_id>")
@login_required
def contest(contest_id: int) -> str:
    return _spend("contest", contest_id)


def _spend(kind: str, ident: int) -> str:
    receipt = services.spend_receipt(db.session(), kind, ident, current())
    return render_template("receipts/receipt.html", receipt=receipt)


@bp.app_context_processor
def _net_preview() -> dict[str, Any]:
    """``seller_terms(user_id)``: a creator's current fee and hold, for "you receive" previews
    next to every price a creator sets or answers (proposals, packages, counter-offers)."""

    def seller_terms(user_id: int | None = None) -> fees.Terms | None:
        if user_id is None:
            if not current_user.is_authenticated or not current_user.is_creator:
                return None
            user_id = current_user.id
        return fees.terms_for(db.session(), user_id)

    def you_receive(amount_minor: int, terms: fees.Terms) -> int:
        return amount_minor - fees.fee_for(amount_minor, terms.fee_bp)

    return {"seller_terms": seller_terms, "you_receive": you_receive}

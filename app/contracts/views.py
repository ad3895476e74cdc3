"""HTML views for contracts: the contract page (milestones and actions come from payments)."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import login_required

from app.accounts.auth import current
from app.contracts.models import Contract
from app.db import MAX_ID
from app.extensions import db
from app.payments.views import render_contract

bp = Blueprint("contracts", __name__)


@bp.get("/contracts/<int:contract_id>")
@login_required
def detail(contract_id: int) -> str | tuple[str, int]:
    contract = db.session.get(Contract, contract_id) if contract_id <= MAX_ID else None
    user = current()
    # Only the two parties; anyone else is told it does not exist.
    if contract is None or user.id not in (contract.business_id, contract.creator_id):
        abort(404)
    return render_contract(contract, user)

"""The admin page: users (search, roles, suspend/reinstate), payouts that need a person
(retried through app.settlement.views, the one place that sends a payout again)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from app.accounts.auth import current, role_required
from app.accounts.models import Role
from app.admin import services
from app.extensions import db
from app.web import list_page, submit

bp = Blueprint("admin", __name__)
admin_only = role_required(Role.ADMIN)


def _page(status: int = 200) -> tuple[str, int]:
    session = db.session()
    query = request.args.get("q", "")
    return (
        render_template(
            "admin/home.html",
            query=query,
            users=services.find_users(session, query),
            payouts=services.payouts_needing_attention(session),
            roles=[role.value for role in Role],
        ),
        status,
    )


list_page(bp, "/admin", "home", _page, admin_only)


@bp.post("/admin/users/<int:user_id>/roles")
@admin_only
def roles(user_id: int) -> Any:
    return submit(
        None,
        lambda: services.set_roles(
            db.session(), current(), user_id, set(request.form.getlist("roles"))
        ),
        done="Roles saved.",
        then=url_for(".home", q=request.args.get("q", "")),
        render=_page,
    )

"""GET /api/v1/me: who the token belongs to. Sign-up and API tokens stay web-only (Settings →
API tokens): a token is what the API needs before it can be called at all."""

from __future__ import annotations

from typing import Literal

from app.api import api_user, bp
from app.api.schema import Out, operation


class Me(Out):
    id: int
    email: str
    display_name: str
    company_name: str | None
    roles: list[Literal["creator", "business", "moderator", "admin"]]
    suspended: bool


@bp.get("/me")
@operation(tag="accounts", ok=Me)
def get_me() -> Me:
    """The account the API token belongs to, with its roles"""
    user = api_user()
    return Me(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        company_name=user.company_name,
        roles=sorted(role.value for role in user.roles),
        suspended=user.suspended_at is not None,
    )

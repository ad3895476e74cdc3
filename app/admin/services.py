"""Admin services: user search, role changes (audited), payouts needing attention."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import audit
from app.accounts.models import Role, User
from app.db import MAX_ID
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.settlement.models import Payout, PayoutState

SEARCH_LIMIT = 50


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise PermissionDenied("Only admins can do that.")


def find_users(session: Session, query: str) -> Sequence[User]:
    """Users whose email, name or company contains ``query`` (or ``#id``), newest first."""
    query = query.strip()
    statement = select(User).order_by(User.id.desc()).limit(SEARCH_LIMIT)
    if query.startswith("#") and query[1:].isdigit() and int(query[1:]) <= MAX_ID:
        return session.scalars(statement.where(User.id == int(query[1:]))).all()
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                User.email.ilike(like),
                User.display_name.ilike(like),
                User.company_name.ilike(like),
            )
        )
    return session.scalars(statement).all()


def set_roles(session: Session, admin: User, user_id: int, roles: set[str]) -> User:
    """Give ``user_id`` exactly ``roles`` (creator, business, moderator, admin); one audit row.

    Raises PermissionDenied (not an admin, or removing one's own admin role), NotFound,
    ValidationFailed (unknown role, or no role at all).
    """
    require_admin(admin)
    target = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if target is None:
        raise NotFound("No such user.")
    known = {role.value for role in Role}
    if roles - known:
        raise ValidationFailed(f"Unknown role: {', '.join(sorted(roles - known))}.", field="roles")
    if not roles:
        raise ValidationFailed("Give the account at least one role.", field="roles")
    if target.id == admin.id and "admin" not in roles:
        raise PermissionDenied("You cannot remove your own admin role.")
    before = sorted(role.value for role in target.roles)
    target.is_creator = "creator" in roles
    target.is_business = "business" in roles
    target.is_moderator = "moderator" in roles
    target.is_admin = "admin" in roles
    after = sorted(roles)
    if before != after:
        audit.record(
            session,
            "user.roles",
            ("user", target.id),
            actor_id=admin.id,
            before=before,
            after=after,
        )
    session.flush()
    return target


def payouts_needing_attention(session: Session) -> Sequence[Payout]:
    """Failed payouts (Stripe refused: a person must retry) and scheduled ones that wait on
    something (suspension, onboarding, a held sale), oldest first."""
    return session.scalars(
        select(Payout)
        .where(
            or_(
                Payout.state == PayoutState.FAILED,
                (Payout.state == PayoutState.SCHEDULED) & (Payout.blocked_reason != ""),
            )
        )
        .order_by(Payout.clears_at, Payout.id)
        .limit(200)
    ).all()

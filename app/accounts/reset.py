"""Password reset by emailed link: a signed, expiring, single-use token (``app.accounts.links``,
keyed with the password hash, so the link stops working once the password changed). It
expires after PASSWORD_RESET_MAX_AGE seconds.

Asking for a link answers the same whether or not the address has an account, so the form
cannot be used to find out who is registered. Following a reset link proves the mailbox is
the user's, so it also confirms an address that was never confirmed.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app import audit, clock
from app.accounts import links, passwords
from app.accounts.models import User
from app.accounts.services import find_user_by_email, revoke_credentials
from app.errors import ValidationFailed
from app.mail import send_after_commit

SALT = "cobalt.password-reset.v1"
InvalidResetToken = links.InvalidLink


def make_token(secret_key: str, user: User) -> str:
    return links.make_token(secret_key, SALT, user)


def user_for_token(session: Session, secret_key: str, token: str, *, max_age: int) -> User:
    """The user a valid reset token was made for. Raises InvalidLink (forged, used, expired,
    or the account is gone or suspended)."""
    return links.user_for_token(
        session, secret_key, SALT, token, max_age=max_age, what="reset link"
    )


def request_reset(
    session: Session, secret_key: str, email: str, *, link_for: Callable[[str], str]
) -> None:
    """Email a reset link to ``email`` if it belongs to an active account; otherwise do
    nothing. Never says which (callers answer the same either way). Sends after commit."""
    user = find_user_by_email(session, email or "")
    if user is None or not user.is_active:
        return
    link = link_for(make_token(secret_key, user))
    send_after_commit(
        session,
        to=user.email,
        subject="Reset your Cobalt Market password",
        body=(
            f"Hello {user.display_name},\n\n"
            "Someone (hopefully you) asked to reset the password of your Cobalt Market "
            f"account. Open this link within an hour to choose a new one:\n\n{link}\n\n"
            "If you did not ask for this, ignore this email: your password stays as it is.\n"
        ),
    )
    audit.record(session, "account.password_reset_requested", ("user", user.id), actor_id=user.id)


def reset_password(
    session: Session, secret_key: str, token: str, new_password: str, *, max_age: int
) -> User:
    """Set a new password. Raises InvalidResetToken or ValidationFailed (weak password).

    Signs out every session and revokes every API token (an attacker's included)."""
    user = user_for_token(session, secret_key, token, max_age=max_age)
    if problems := passwords.password_problems(new_password, email=user.email):
        raise ValidationFailed({"password": problems})
    user.password_hash = passwords.hash_password(new_password)
    if user.email_confirmed_at is None:  # the link reached the mailbox: the address is theirs
        user.email_confirmed_at = clock.now()
    revoke_credentials(session, user)
    audit.record(session, "account.password_reset", ("user", user.id), actor_id=user.id)
    session.flush()
    return user

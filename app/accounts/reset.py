"""Password reset by emailed link: a signed, expiring, single-use token.

The token signs the user id with a key made of the app secret *and the user's current
password hash*: once the password changes (by this reset or otherwise) the key changes and
every earlier token stops verifying, so a link works once. Its signed timestamp (from
``app.clock``) makes it expire after PASSWORD_RESET_MAX_AGE seconds.

Asking for a link answers the same whether or not the address has an account, so the form
cannot be used to find out who is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app import audit, clock
from app.accounts import passwords
from app.accounts.models import User
from app.accounts.services import find_user_by_email, revoke_credentials
from app.errors import DomainError, ValidationFailed
from app.mail import send_after_commit

SALT = "cobalt.password-reset.v1"


class InvalidResetToken(DomainError):
    status = 400
    code = "invalid_reset_token"


class _ClockSigner(TimestampSigner):
    """Timestamps from app.clock, so tests can move time past the expiry."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(secret_key: str, user: User) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        f"{secret_key}:{user.password_hash}", salt=SALT, signer=_ClockSigner
    )


def make_token(secret_key: str, user: User) -> str:
    return _serializer(secret_key, user).dumps({"uid": user.id})


def user_for_token(session: Session, secret_key: str, token: str, *, max_age: int) -> User:
    """The user a valid token was made for. Raises InvalidResetToken (forged, used, expired,
    or the account is gone or suspended)."""
    # The payload is read unverified only to know whose key to verify with.
    _valid, payload = URLSafeTimedSerializer(secret_key, salt=SALT).loads_unsafe(token)
    uid = payload.get("uid") if isinstance(payload, dict) else None
    user = session.get(User, uid) if isinstance(uid, int) and uid > 0 else None
    if user is None or not user.is_active:
        raise InvalidResetToken("This reset link is invalid or was already used.")
    try:
        data: Any = _serializer(secret_key, user).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidResetToken("This reset link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise InvalidResetToken("This reset link is invalid or was already used.") from exc
    if data.get("uid") != user.id:
        raise InvalidResetToken("This reset link is invalid or was already used.")
    return user


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
    revoke_credentials(session, user)
    audit.record(session, "account.password_reset", ("user", user.id), actor_id=user.id)
    session.flush()
    return user

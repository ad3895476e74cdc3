"""Emailed account links: signed, expiring, single-use tokens (password reset, sign-up
confirmation). One mechanism for every link a mail carries.

A token signs the user id with a key made of the app secret, the link's purpose *and the
user's current state* (password hash, whether the address is confirmed): once that state
changes (the reset set a new password, the confirmation confirmed) the key changes and every
earlier link of that user stops verifying, so a link works once. Its signed timestamp (from
``app.clock``) makes it expire after ``max_age`` seconds.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.errors import DomainError


class InvalidLink(DomainError):
    status = 400
    code = "invalid_link"


class _ClockSigner(TimestampSigner):
    """Timestamps from app.clock, so tests can move time past the expiry."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(secret_key: str, salt: str, user: User) -> URLSafeTimedSerializer:
    state = f"{user.password_hash}:{int(user.email_confirmed_at is not None)}"
    return URLSafeTimedSerializer(f"{secret_key}:{state}", salt=salt, signer=_ClockSigner)


def make_token(secret_key: str, salt: str, user: User) -> str:
    return _serializer(secret_key, salt, user).dumps({"uid": user.id})


def user_for_token(
    session: Session, secret_key: str, salt: str, token: str, *, max_age: int, what: str
) -> User:
    """The user a valid ``salt`` token was made for. Raises InvalidLink (forged, used, expired,
    made for another purpose, or the account is gone or suspended); ``what`` names the link in
    the message ("reset link")."""
    # The payload is read unverified only to know whose key to verify with.
    _valid, payload = URLSafeTimedSerializer(secret_key, salt=salt).loads_unsafe(token)
    uid = payload.get("uid") if isinstance(payload, dict) else None
    user = session.get(User, uid) if isinstance(uid, int) and 0 < uid < 2**63 else None
    used = f"This {what} is invalid or was already used."
    if user is None or not user.is_active:
        raise InvalidLink(used)
    try:
        data: Any = _serializer(secret_key, salt, user).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidLink(f"This {what} has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise InvalidLink(used) from exc
    if data.get("uid") != user.id:
        raise InvalidLink(used)
    return user

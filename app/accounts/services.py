"""Account services: registration, authentication with throttling, settings, API tokens.

Services take a Session, flush but never commit, and raise typed errors from
``app.accounts.errors`` / ``app.errors``.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import clock
from app.accounts import passwords
from app.accounts.errors import (
    AccountSuspended,
    EmailTaken,
    EmailUnconfirmed,
    InvalidCredentials,
    LoginThrottled,
)
from app.accounts.models import (
    ApiToken,
    AuthSession,
    Availability,
    CreatorProfile,
    LoginFailure,
    User,
)
from app.db import get_owned
from app.errors import ValidationFailed
from app.money import check_amount, check_currency

TOKEN_PREFIX = "c2b_"


def normalize_email(raw: str) -> str:
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed({"email": [str(exc)]}) from exc
    return result.normalized.lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


@dataclass(frozen=True)
class SignUpInput:
    email: str
    password: str
    display_name: str
    as_creator: bool
    as_business: bool
    company_name: str | None = None


def check_sign_up(data: SignUpInput) -> tuple[str, str]:
    """The normalized (email, display name) of a valid sign-up. Raises ValidationFailed (bad
    email, weak password, name, no role); says nothing about whether the address is taken."""
    address = normalize_email(data.email)
    errors: dict[str, list[str]] = {}
    if problems := passwords.password_problems(data.password, email=address):
        errors["password"] = problems
    name = (data.display_name or "").strip()
    if not 2 <= len(name) <= 80:
        errors["display_name"] = ["Enter a name between 2 and 80 characters."]
    if not (data.as_creator or data.as_business):
        errors["roles"] = ["Choose at least one: sell as a creator, or hire as a business."]
    if errors:
        raise ValidationFailed(errors)
    return address, name


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    as_creator: bool,
    as_business: bool,
    company_name: str | None = None,
    password_hash: str | None = None,
    confirmed: bool = False,
) -> User:
    """Create an account. Raises ValidationFailed (bad email/password/roles), EmailTaken.

    The account cannot sign in until its address is confirmed (``confirmed``: already, as for
    demo data and staff-made accounts; sign-ups go through ``app.accounts.signup``, which never
    reveals a taken address). ``password_hash`` may pass an argon2 hash of ``password``
    computed once (for many demo accounts, or by the sign-up that hashes in every case).
    """
    data = SignUpInput(email, password, display_name, as_creator, as_business, company_name)
    address, name = check_sign_up(data)
    if find_user_by_email(session, address) is not None:
        raise EmailTaken("An account with this email already exists.", field="email")
    user = User(
        email=address,
        password_hash=password_hash or passwords.hash_password(password),
        display_name=name,
        company_name=(company_name or "").strip() or None,
        is_creator=as_creator,
        is_business=as_business,
        email_confirmed_at=clock.now() if confirmed else None,
    )
    if as_creator:
        user.profile = CreatorProfile()
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failed logins slow an *account* down with growing delays (never a lockout: anyone can
    type a victim's email, so a hard lock would be theirs to trigger); a *client address*
    that fails too often across accounts waits out the window."""

    max_failures: int
    window: timedelta
    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(seconds=60)

    @property
    def max_failures_per_address(self) -> int:
        # An address may try several accounts (shared office NAT), but not endlessly.
        return self.max_failures * 4

    def delay_after(self, failures: int) -> timedelta:
        """The wait after the latest of ``failures`` recent failures of one account: none
        for the first few, then doubling up to ``max_delay``."""
        if failures < self.max_failures:
            return timedelta(0)
        return min(self.first_delay * 2 ** min(failures - self.max_failures, 30), self.max_delay)


def _recent_failures(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(column == value, LoginFailure.attempted_at >= since)
        )
        or 0
    )


def check_throttle(
    session: Session, *, email: str, remote_addr: str, policy: ThrottlePolicy
) -> None:
    """Raise LoginThrottled (with ``retry_after`` seconds) while this account's growing delay
    runs, or when this client address failed too often within the window."""
    now = clock.now()
    since = now - policy.window
    email = email.strip().lower()
    failures, last = session.execute(
        select(func.count(), func.max(LoginFailure.attempted_at)).where(
            LoginFailure.email == email, LoginFailure.attempted_at >= since
        )
    ).one()
    if failures and last is not None:
        wait = (last + policy.delay_after(failures) - now).total_seconds()
        if wait > 0:
            seconds = math.ceil(wait)
            raise LoginThrottled(
                f"Too many failed attempts. Try again in {seconds} seconds.", retry_after=seconds
            )
    if (
        _recent_failures(session, LoginFailure.remote_addr, remote_addr, since)
        >= policy.max_failures_per_address
    ):
        minutes = int(policy.window.total_seconds() // 60)
        raise LoginThrottled(
            f"Too many failed attempts. Try again in {minutes} minutes.",
            retry_after=int(policy.window.total_seconds()),
        )


def authenticate(
    session: Session, *, email: str, password: str, remote_addr: str, policy: ThrottlePolicy
) -> User:
    """Return the user for these credentials.

    Raises LoginThrottled, InvalidCredentials, AccountSuspended, EmailUnconfirmed (only after
    the right password, so it tells nothing to someone who does not know it). Writes nothing, except
    upgrading an outdated password hash; failures are recorded with ``login_failure``.
    """
    check_throttle(session, email=email, remote_addr=remote_addr, policy=policy)
    user = find_user_by_email(session, email)
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        raise InvalidCredentials("Wrong email or password.")
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidCredentials("Wrong email or password.")
    if user.suspended_at is not None:
        raise AccountSuspended("This account is suspended. Contact support.")
    if user.email_confirmed_at is None:
        raise EmailUnconfirmed(
            "Confirm your email address first: open the link we emailed you when you signed "
            "up. No email? Ask for a new confirmation link below."
        )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def login_failure(*, email: str, remote_addr: str) -> LoginFailure:
    """The record of one failed login (the caller keeps it even if its request fails)."""
    return LoginFailure(email=email.strip().lower()[:254], remote_addr=remote_addr[:64])


def update_account(
    session: Session,
    user: User,
    *,
    display_name: str,
    company_name: str | None,
    as_creator: bool,
    as_business: bool,
) -> None:
    name = (display_name or "").strip()
    if not 2 <= len(name) <= 80:
        raise ValidationFailed({"display_name": ["Enter a name between 2 and 80 characters."]})
    if not (as_creator or as_business or user.is_moderator or user.is_admin):
        raise ValidationFailed({"roles": ["Keep at least one role."]})
    user.display_name = name
    user.company_name = (company_name or "").strip() or None
    user.is_creator = as_creator
    user.is_business = as_business
    if as_creator and user.profile is None:
        user.profile = CreatorProfile()
    session.flush()


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    """Raises InvalidCredentials (wrong current password) or ValidationFailed (weak new one).

    Bumps the session version so every other logged-in session is signed out.
    """
    if not passwords.verify_password(user.password_hash, current):
        raise InvalidCredentials("Your current password is not correct.", field="current_password")
    if problems := passwords.password_problems(new, email=user.email):
        raise ValidationFailed({"new_password": problems})
    user.password_hash = passwords.hash_password(new)
    revoke_credentials(session, user)


MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 60


def clean_list(
    values: list[str],
    *,
    field: str,
    max_items: int = MAX_LIST_ITEMS,
    max_length: int = MAX_ITEM_LENGTH,
) -> list[str]:
    """Trim, drop blanks and case-insensitive duplicates; refuse too many or too long items."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for raw in values:
        item = " ".join(str(raw).split())
        if not item or item.lower() in seen:
            continue
        if len(item) > max_length:
            raise ValidationFailed(
                {field: [f"Each entry must be at most {max_length} characters."]}
            )
        seen.add(item.lower())
        cleaned.append(item)
    if len(cleaned) > max_items:
        raise ValidationFailed({field: [f"At most {max_items} entries."]})
    return cleaned


@dataclass(frozen=True)
class ProfileInput:
    headline: str
    bio: str
    skills: list[str]
    portfolio_links: list[str]
    country: str | None
    languages: list[str]
    hourly_rate_minor: int | None
    currency: str
    availability: str


def update_profile(session: Session, user: User, data: ProfileInput) -> CreatorProfile:
    """Raises ValidationFailed. Only creators have a public profile."""
    if not user.is_creator or user.profile is None:
        raise ValidationFailed({"_": ["Enable the creator role to have a public profile."]})
    errors: dict[str, list[str]] = {}
    if len(data.headline) > 140:
        errors["headline"] = ["At most 140 characters."]
    if len(data.bio) > 5000:
        errors["bio"] = ["At most 5000 characters."]
    for link in data.portfolio_links:
        if not link.startswith(("https://", "http://")) or len(link) > 300:
            errors["portfolio_links"] = [
                "Links must start with https:// and be at most 300 characters."
            ]
    if data.country and (len(data.country) != 2 or not data.country.isalpha()):
        errors["country"] = ["Use a two-letter country code such as DE or US."]
    try:
        currency = check_currency(data.currency)
        if data.hourly_rate_minor is not None:
            check_amount(data.hourly_rate_minor, currency)
    except ValueError as exc:
        errors["hourly_rate"] = [str(exc)]
        currency = "USD"
    if data.availability not in {a.value for a in Availability}:
        errors["availability"] = ["Choose an availability."]
    if errors:
        raise ValidationFailed(errors)
    profile = user.profile
    profile.headline = data.headline.strip()
    profile.bio = data.bio.strip()
    profile.skills = clean_list(data.skills, field="skills")
    profile.portfolio_links = clean_list(
        data.portfolio_links, field="portfolio_links", max_items=10, max_length=300
    )
    profile.country = data.country.upper() if data.country else None
    profile.languages = clean_list(data.languages, field="languages", max_items=10)
    profile.hourly_rate_minor = data.hourly_rate_minor
    profile.currency = currency
    profile.availability = Availability(data.availability)
    session.flush()
    return profile


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(session: Session, user: User, *, name: str) -> tuple[ApiToken, str]:
    """Return the token row and its secret; the secret is never stored and shown only once."""
    label = (name or "").strip()
    if not 1 <= len(label) <= 80:
        raise ValidationFailed({"name": ["Name the token (at most 80 characters)."]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=label, token_digest=_digest(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    return token, secret


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    token = get_owned(
        session, ApiToken, token_id, user.id, owner="user_id", missing="No such token."
    )
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        session.flush()


def user_for_api_token(session: Session, secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_digest == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = clock.now()
    return token.user


# --- signed-in sessions and revocation ------------------------------------------------------


def start_session(session: Session, user: User) -> str:
    """A new server-side session for ``user``; its id goes into the login cookie (get_id)."""
    sid = secrets.token_urlsafe(24)
    session.add(AuthSession(id=sid, user_id=user.id))
    session.flush()
    user.auth_session_id = sid
    return sid


def session_is_live(session: Session, user: User, sid: str) -> bool:
    row = session.get(AuthSession, sid) if len(sid) <= 43 else None
    return row is not None and row.user_id == user.id and row.revoked_at is None


def end_session(session: Session, user: User) -> None:
    """Logout: revoke this browser's session (other devices stay signed in)."""
    row = session.get(AuthSession, user.auth_session_id) if user.auth_session_id else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()
        session.flush()


def revoke_credentials(session: Session, user: User) -> int:
    """After a password change or reset: sign out every session and remember-me cookie
    (``session_version`` and the server-side sessions) and revoke every API token, since
    whoever knew the old password may have made one. Returns the number of tokens revoked."""
    now = clock.now()
    user.session_version += 1
    for row in session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    ):
        row.revoked_at = now
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    user.auth_session_id = None
    session.flush()
    return len(tokens)

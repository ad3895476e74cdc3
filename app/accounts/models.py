"""Users, roles, creator profiles, API tokens and login-failure records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import cast

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin


class Role(enum.StrEnum):
    CREATOR = "creator"
    BUSINESS = "business"
    MODERATOR = "moderator"
    ADMIN = "admin"


class Availability(enum.StrEnum):
    AVAILABLE = "available"
    LIMITED = "limited"
    UNAVAILABLE = "unavailable"


class User(UserMixin, IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    # Stored lower-cased by the accounts service, so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    company_name: Mapped[str | None] = mapped_column(String(120))
    is_creator: Mapped[bool] = mapped_column(default=False)
    is_business: Mapped[bool] = mapped_column(default=False)
    is_moderator: Mapped[bool] = mapped_column(default=False)
    is_admin: Mapped[bool] = mapped_column(default=False)
    suspended_at: Mapped[datetime | None]
    # Set when the owner followed the sign-up confirmation link (or a reset link); until then
    # the account cannot sign in (app.accounts.signup).
    email_confirmed_at: Mapped[datetime | None]
    # Bumped when the password changes so other sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1)

    profile: Mapped[CreatorProfile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> set[Role]:
        flags = {
            Role.CREATOR: self.is_creator,
            Role.BUSINESS: self.is_business,
            Role.MODERATOR: self.is_moderator,
            Role.ADMIN: self.is_admin,
        }
        return {role for role, has in flags.items() if has}

    def has_role(self, role: Role) -> bool:
        return role in self.roles or (self.is_admin and role is Role.MODERATOR)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.suspended_at is None

    # The signed-in session this object was loaded for (not a column): set by login and by
    # the session loader (app.accounts.auth), and part of ``get_id``.
    auth_session_id = cast("str | None", None)

    def get_id(self) -> str:
        """What flask-login keeps in the session and the remember-me cookie: the user, the
        password generation (``session_version``) and the server-side session id, so a
        password change and a logout can each make an old cookie worthless."""
        return f"{self.id}:{self.session_version}:{self.auth_session_id or ''}"


class CreatorProfile(TimestampMixin, Base):
    __tablename__ = "creator_profiles"
    __table_args__ = (
        CheckConstraint(
            "hourly_rate_minor IS NULL OR hourly_rate_minor > 0", name="hourly_rate_positive"
        ),
    )

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    headline: Mapped[str] = mapped_column(String(140), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[str]] = mapped_column(default=list)
    portfolio_links: Mapped[list[str]] = mapped_column(default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list[str]] = mapped_column(default=list)
    hourly_rate_minor: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    availability: Mapped[Availability] = mapped_column(
        EnumText(Availability, 16), default=Availability.AVAILABLE
    )
    # Set by a moderator (app.moderation): the public profile and its offers are unlisted.
    hidden_at: Mapped[datetime | None]
    # Written by app.reviews.reputation (0..1; None = no track record, neutral prior applies);
    # read by the payout fee/hold formula (app.payments.fees) and matching.
    reputation_score: Mapped[float | None]
    reputation_computed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="profile")


class ApiToken(IdMixin, Base):
    """A personal API token; only a SHA-256 digest is stored, the secret is shown once."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginFailure(IdMixin, Base):
    """One failed login; recent rows per email or address throttle further attempts."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "attempted_at"),
        Index("ix_login_failures_address_at", "remote_addr", "attempted_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(default=clock.now)


class AuthSession(Base):
    """One signed-in browser session (and its remember-me cookie). Cookies are signed by the
    client-side session, so only this row makes logging out final: revoked here, a copied
    cookie stops working at once (app.accounts.auth checks it on every request)."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[datetime | None]

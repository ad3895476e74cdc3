"""Sign-up with an emailed confirmation link, answering the same for every address.

``sign_up`` does the same work whether or not the address has an account (the password is
hashed in every case) and its caller shows the same "check your email" page, so the form
cannot be used to find out who is registered. The mail tells the address's owner what
happened:

* a new address gets an account that cannot sign in yet, and a confirmation link (a signed,
  expiring, single-use ``app.accounts.links`` token, keyed with the account's state: once the
  address is confirmed the link stops working) that confirms it and signs the owner in;
* an address whose account was never confirmed gets the new sign-up's details (the newest
  sign-up wins, so whoever typed someone else's address first does not keep the account) and
  a fresh link; earlier links stop working with the old password hash;
* a confirmed account's owner gets a notice that someone tried to sign up, with links to
  sign in and to reset the password. Nothing changes.

``resend`` mails a new link to an unconfirmed account, and does nothing (but answers the same)
for any other address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app import audit, clock
from app.accounts import links, passwords, services
from app.accounts.models import CreatorProfile, User
from app.mail import send_after_commit

SALT = "cobalt.signup-confirm.v1"


@dataclass(frozen=True)
class MailLinks:
    """Absolute URLs for the mails (built from PUBLIC_BASE_URL by the caller)."""

    confirm: Callable[[str], str]  # token -> confirmation link
    login: str
    reset: str


def sign_up(
    session: Session, secret_key: str, data: services.SignUpInput, *, urls: MailLinks
) -> None:
    """Raises ValidationFailed (bad email, weak password, name, roles), never for a taken
    address. Mails (after commit) a confirmation link or a notice to the existing owner."""
    address, name = services.check_sign_up(data)
    password_hash = passwords.hash_password(data.password)  # in every case: same timing
    user = services.find_user_by_email(session, address)
    if user is None:
        user = services.register(
            session,
            email=address,
            password=data.password,
            display_name=name,
            as_creator=data.as_creator,
            as_business=data.as_business,
            company_name=data.company_name,
            password_hash=password_hash,
        )
        audit.record(session, "account.signed_up", ("user", user.id), actor_id=user.id)
    elif user.email_confirmed_at is None:
        user.password_hash = password_hash
        user.display_name = name
        user.company_name = (data.company_name or "").strip() or None
        user.is_creator, user.is_business = data.as_creator, data.as_business
        if data.as_creator and user.profile is None:
            user.profile = CreatorProfile()
        session.flush()
        audit.record(session, "account.signed_up_again", ("user", user.id), actor_id=user.id)
    else:
        _notify_owner(session, user, urls)
        return
    _send_confirmation(session, secret_key, user, urls)


def resend(session: Session, secret_key: str, email: str, *, urls: MailLinks) -> None:
    """Mail a new confirmation link if ``email`` has an unconfirmed, active account; otherwise
    do nothing. Never says which."""
    user = services.find_user_by_email(session, email or "")
    if user is None or user.email_confirmed_at is not None or not user.is_active:
        return
    _send_confirmation(session, secret_key, user, urls)


def confirm(session: Session, secret_key: str, token: str, *, max_age: int) -> User:
    """Confirm the address a valid link was sent to and return its user (the caller signs
    them in). Raises InvalidLink (forged, used, expired, account gone or suspended)."""
    user = links.user_for_token(
        session, secret_key, SALT, token, max_age=max_age, what="confirmation link"
    )
    user.email_confirmed_at = clock.now()
    audit.record(session, "account.email_confirmed", ("user", user.id), actor_id=user.id)
    session.flush()
    return user


def check_token(session: Session, secret_key: str, token: str, *, max_age: int) -> User:
    """The user of a valid confirmation link, changing nothing. Raises InvalidLink."""
    return links.user_for_token(
        session, secret_key, SALT, token, max_age=max_age, what="confirmation link"
    )


def _send_confirmation(session: Session, secret_key: str, user: User, urls: MailLinks) -> None:
    link = urls.confirm(links.make_token(secret_key, SALT, user))
    send_after_commit(
        session,
        to=user.email,
        subject="Confirm your Cobalt Market account",
        body=(
            f"Hello {user.display_name},\n\n"
            "Welcome to Cobalt Market. Open this link within two days to confirm your email "
            f"address and sign in:\n\n{link}\n\n"
            "If you did not sign up, ignore this email: without the link nobody can use an "
            "account with your address.\n"
        ),
    )


def _notify_owner(session: Session, user: User, urls: MailLinks) -> None:
    send_after_commit(
        session,
        to=user.email,
        subject="Someone tried to sign up with your email address",
        body=(
            f"Hello {user.display_name},\n\n"
            "Someone (perhaps you) tried to create a new Cobalt Market account with this email "
            "address. You already have an account, so nothing was created or changed.\n\n"
            f"Sign in: {urls.login}\n"
            f"Forgot your password? Choose a new one: {urls.reset}\n\n"
            "If it was not you, you can ignore this email.\n"
        ),
    )
    audit.record(session, "account.sign_up_attempt_on_existing", ("user", user.id), actor_id=None)

"""Password hashing with Argon2id (argon2-cffi defaults follow RFC 9106 recommendations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10
MAX_LENGTH = 256


def password_problems(password: str, *, email: str = "") -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if email and password.lower() == email.lower():
        problems.append("Your password cannot be your email address.")
    if password and len(set(password)) < 4:
        problems.append("Use a less repetitive password.")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


# Verified against when the email is unknown, so a login takes the same time either way.
DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def use_cheap_hashing_for_tests() -> None:
    """Switch to argon2's cheapest profile; only the test suite calls this (speed)."""
    global _hasher, DUMMY_HASH
    from argon2.profiles import CHEAPEST

    _hasher = PasswordHasher.from_parameters(CHEAPEST)
    DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")

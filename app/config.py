"""Configuration: defaults, then the environment, then explicit overrides (tests).

Only names listed in ``ENV_SETTINGS`` are read from the environment, so a stray variable can
never change behaviour silently.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None -> SQLite file in the instance folder
    "SQL_ECHO": False,
    "SECRET_KEY": None,  # None -> generated once and kept in the instance folder
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "LOGIN_THROTTLE_MAX_FAILURES": 5,
    "LOGIN_THROTTLE_WINDOW_SECONDS": 15 * 60,
    "CATALOG_PAGE_SIZE": 24,
    "MEDIA_ROOT": None,  # None -> <instance>/media
    "INDEX_DIR": None,  # None -> <instance>/index
    "MATCHING_ENABLED": True,
    "STRIPE_SECRET_KEY": "sk_test_local_emulator",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_local_emulator",
    "STRIPE_API_BASE": None,  # None -> real Stripe; set to the local emulator in development
    "STRIPE_WEBHOOK_SECRET": "whsec_local_emulator",
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
}

ENV_SETTINGS: dict[str, type] = {
    "DATABASE_URL": str,
    "SQL_ECHO": bool,
    "SECRET_KEY": str,
    "SESSION_COOKIE_SECURE": bool,
    "MEDIA_ROOT": str,
    "INDEX_DIR": str,
    "MATCHING_ENABLED": bool,
    "STRIPE_SECRET_KEY": str,
    "STRIPE_PUBLISHABLE_KEY": str,
    "STRIPE_API_BASE": str,
    "STRIPE_WEBHOOK_SECRET": str,
    "PUBLIC_BASE_URL": str,
    "LOGIN_THROTTLE_MAX_FAILURES": int,
    "LOGIN_THROTTLE_WINDOW_SECONDS": int,
}


def _parse(raw: str, kind: type) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def load_config(instance_path: str, override: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the effective settings for an app whose instance folder is ``instance_path``."""
    settings = dict(DEFAULTS)
    for name, kind in ENV_SETTINGS.items():
        raw = os.environ.get(name)
        if raw not in (None, ""):
            settings[name] = _parse(raw, kind)
    settings.update(override or {})

    instance = Path(instance_path)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'marketplace.db'}"
    settings["MEDIA_ROOT"] = settings["MEDIA_ROOT"] or str(instance / "media")
    settings["INDEX_DIR"] = settings["INDEX_DIR"] or str(instance / "index")
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _persistent_secret(instance / "secret_key")
    return settings


def _persistent_secret(path: Path) -> str:
    """A random key made on first start and reused, so restarts keep users logged in."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key

"""Configuration: defaults, then the environment, then explicit overrides (tests).

Only names listed in ``ENV_SETTINGS`` are read from the environment, so a stray variable can
never change behaviour silently.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# The checkout: templates, static files, migrations and the default instance folder.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_instance_path() -> str:
    return os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance")


DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None -> SQLite file in the instance folder
    "SQL_ECHO": False,
    "SECRET_KEY": None,  # None -> generated once and kept in the instance folder
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",  # flask-login's default is none at all
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "LOGIN_THROTTLE_MAX_FAILURES": 5,
    "LOGIN_THROTTLE_WINDOW_SECONDS": 15 * 60,
    "CATALOG_PAGE_SIZE": 24,
    # Signed-out catalogue pages rendered once per change (app.pagecache).
    "PAGE_CACHE_ENABLED": True,
    "MEDIA_ROOT": None,  # None -> <instance>/media
    "MEDIA_STORAGE": "local",  # local (MEDIA_ROOT) or s3 (S3_* below; needs boto3)
    "S3_BUCKET": None,
    "S3_ENDPOINT_URL": None,
    "S3_REGION": None,
    "S3_ACCESS_KEY_ID": None,
    "S3_SECRET_ACCESS_KEY": None,
    "S3_PREFIX": "",
    "INDEX_DIR": None,  # None -> <instance>/index
    "MATCHING_ENABLED": True,
    # Rankings running at once on this machine (app.matching.slots); None = cores - 1, 0 = no limit.
    "MATCHING_SLOTS": None,
    # Rankings run on threads this much nicer than the request threads (app.matching.slots),
    # so pages win the cores; 0 = on the request thread itself.
    "MATCHING_NICE": 10,
    # Under gunicorn, the Unix socket of the ranking process that answers ranking requests
    # (app.matching.delegation; set by app/gunicorn_conf.py), and whether this is that process.
    "RANKING_SOCKET": None,
    "RANKING_SERVER": False,
    "STRIPE_SECRET_KEY": "sk_test_local_emulator",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_local_emulator",
    "STRIPE_API_BASE": None,  # None -> real Stripe; set to the local emulator in development
    "STRIPE_WEBHOOK_SECRET": "whsec_local_emulator",
    # Connected accounts' events (account.updated...) come to their own endpoint, signed with
    # the Connect endpoint's own secret (Stripe dashboard: "Listen to events on Connected
    # accounts").
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_local_emulator_connect",
    # Where pages load Stripe.js from. None -> https://js.stripe.com/v3/ with real Stripe, the
    # emulator's Stripe.js-compatible script (<STRIPE_API_BASE>/js.stripe.com/v3/) locally.
    "STRIPE_JS_URL": None,
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",  # the only source of absolute URLs (mails)
    # Host headers answered; None -> PUBLIC_BASE_URL's host plus loopback (app.security).
    "TRUSTED_HOSTS": None,
    # Reverse proxies in front of the app that append to X-Forwarded-For/-Proto (0: none).
    "PROXY_COUNT": 0,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://host:6379/0 shares limits across workers
    "RATELIMITS": {},  # per-rule overrides of app.security.ratelimit.DEFAULT_RULES
    "LOGIN_THROTTLE_MAX_DELAY_SECONDS": 60,
    "LOG_FORMAT": "json",  # one JSON object per line with the request id; "text": Python's default
    "LOG_LEVEL": "INFO",
    "METRICS_TOKEN": None,  # /metrics answers localhost, or anyone sending this bearer token
    "MAIL_BACKEND": "console",  # console (log + in-memory outbox) or smtp
    "MAIL_FROM": "Cobalt Market <no-reply@localhost>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 587,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": True,
    "PASSWORD_RESET_MAX_AGE": 3600,  # seconds a reset link works
    "SIGNUP_CONFIRM_MAX_AGE": 2 * 24 * 3600,  # seconds a sign-up confirmation link works
    "JOBS_MAX_ATTEMPTS": 8,
    # The demo clock (`flask dev advance`): None -> on in local/emulator mode outside tests.
    "DEV_CLOCK": None,  # a failing job is retried with backoff this many times, then fails
    # A row locked out of the app's lock order (app.workflow) raises instead of being logged.
    "LOCK_ORDER_STRICT": False,
}

ENV_SETTINGS: dict[str, type] = {
    "DATABASE_URL": str,
    "SQL_ECHO": bool,
    "SECRET_KEY": str,
    "SESSION_COOKIE_SECURE": bool,
    "MEDIA_ROOT": str,
    "MEDIA_STORAGE": str,
    "S3_BUCKET": str,
    "S3_ENDPOINT_URL": str,
    "S3_REGION": str,
    "S3_ACCESS_KEY_ID": str,
    "S3_SECRET_ACCESS_KEY": str,
    "S3_PREFIX": str,
    "INDEX_DIR": str,
    "MATCHING_ENABLED": bool,
    "MATCHING_SLOTS": int,
    "MATCHING_NICE": int,
    "RANKING_SOCKET": str,
    "RANKING_SERVER": bool,
    "STRIPE_SECRET_KEY": str,
    "STRIPE_PUBLISHABLE_KEY": str,
    "STRIPE_API_BASE": str,
    "STRIPE_WEBHOOK_SECRET": str,
    "STRIPE_JS_URL": str,
    "STRIPE_CONNECT_WEBHOOK_SECRET": str,
    "PUBLIC_BASE_URL": str,
    "TRUSTED_HOSTS": list,
    "PROXY_COUNT": int,
    "RATELIMIT_ENABLED": bool,
    "PAGE_CACHE_ENABLED": bool,
    "RATELIMIT_STORAGE_URI": str,
    "LOGIN_THROTTLE_MAX_DELAY_SECONDS": int,
    "LOGIN_THROTTLE_MAX_FAILURES": int,
    "LOGIN_THROTTLE_WINDOW_SECONDS": int,
    "LOG_FORMAT": str,
    "LOG_LEVEL": str,
    "METRICS_TOKEN": str,
    "MAIL_BACKEND": str,
    "MAIL_FROM": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_STARTTLS": bool,
    "DEV_CLOCK": bool,
}


def _parse(raw: str, kind: type) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
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
    # The "keep me signed in" cookie is as good as a session: same transport rule.
    settings.setdefault("REMEMBER_COOKIE_SECURE", settings["SESSION_COOKIE_SECURE"])
    settings["STRIPE_JS_URL"] = settings.get("STRIPE_JS_URL") or stripe_js_url(
        settings.get("STRIPE_API_BASE")
    )
    settings["MEDIA_ROOT"] = settings["MEDIA_ROOT"] or str(instance / "media")
    settings["INDEX_DIR"] = settings["INDEX_DIR"] or str(instance / "index")
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _persistent_secret(instance / "secret_key")
    return settings


REAL_STRIPE_JS_URL = "https://js.stripe.com/v3/"


def stripe_js_url(api_base: str | None) -> str:
    """Stripe.js from Stripe itself, or from the local emulator when the API is emulated."""
    if api_base:
        return api_base.rstrip("/") + "/js.stripe.com/v3/"
    return REAL_STRIPE_JS_URL


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

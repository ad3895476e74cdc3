"""Request-level defences in one place: trusted Host headers, the reverse-proxy count, bounded
JSON bodies, rate limits, and the start-up refusal of unsafe settings.

``PUBLIC_BASE_URL`` is the only source of absolute URLs (``external_url``): a Host header is
whatever the client typed, so a link built from it (a password-reset mail) could point at an
attacker's domain. ``TRUSTED_HOSTS`` (Flask's setting) refuses any other Host with 400.
Behind ``PROXY_COUNT`` reverse proxies, werkzeug's ProxyFix takes the client address from
the last ``PROXY_COUNT`` X-Forwarded-For entries (never more: earlier entries are the
client's to forge), so throttling keys on the real client, not the proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.db import MAX_ID
from app.security.json_limits import BoundedJSONProvider

# Development defaults from app.config: fine against the local emulator, fatal with real keys.
DEFAULT_WEBHOOK_SECRETS = {"whsec_local_emulator", ""}


class UnsafeConfiguration(RuntimeError):
    """The app refuses to start with settings that would make it exploitable."""


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL: ASCII digits, at most 19 of them, so an id no column can
    hold (``/briefs/10000000000000000000000``) never reaches the database driver (an
    OverflowError, 500). A 19-digit value above MAX_ID becomes 0, an id no row has, so the
    view answers its usual 404 (a converter refusal would answer 405 on some paths)."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0


def init_security(app: Flask) -> None:
    check_configuration(app.config)
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its routes
    app.json = BoundedJSONProvider(app)
    if not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = default_trusted_hosts(app.config)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0
        )

    from app.security.ratelimit import init_rate_limits

    init_rate_limits(app)


def check_configuration(config: Mapping[str, Any]) -> None:
    """Raise UnsafeConfiguration for a live Stripe key with the default webhook secret (anyone
    could then forge "payment succeeded" events), or a PUBLIC_BASE_URL that is not a URL."""
    key = str(config.get("STRIPE_SECRET_KEY") or "")
    live_stripe = not config.get("STRIPE_API_BASE") and not key.endswith("_local_emulator")
    default_secret = str(config.get("STRIPE_WEBHOOK_SECRET") or "") in DEFAULT_WEBHOOK_SECRETS
    if live_stripe and key.startswith(("sk_", "rk_")) and default_secret:
        raise UnsafeConfiguration(
            "STRIPE_SECRET_KEY is a real Stripe key but STRIPE_WEBHOOK_SECRET is the "
            "development default: set the endpoint's signing secret (whsec_...)."
        )
    parts = urlsplit(str(config.get("PUBLIC_BASE_URL") or ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeConfiguration("PUBLIC_BASE_URL must be an absolute http(s) URL.")


def default_trusted_hosts(config: Mapping[str, Any]) -> list[str]:
    """PUBLIC_BASE_URL's host, plus the loopback names (health checks, the dev server)."""
    host = urlsplit(str(config["PUBLIC_BASE_URL"])).hostname or ""
    names = [host, "localhost", "127.0.0.1", "[::1]", "::1"]
    if config.get("SERVER_NAME"):
        names.append(str(config["SERVER_NAME"]).split(":")[0])
    return list(dict.fromkeys(name for name in names if name))


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for mails and third parties (Stripe's return URLs), built from
    PUBLIC_BASE_URL and never from the request's Host header."""
    from flask import current_app

    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for(endpoint, **values)

"""Ranking requests answered by a process of their own, at a lower CPU priority (issue 17).

Why a process and not only a thread: a ranking (semantic search, brief matches, briefs for a
creator) is tens of milliseconds of Python work: reranking, explanations, the ORM rows of
what it shows. Run on a thread of a web worker, even a niced one, it holds that worker's GIL
in 5 ms slices, and a catalogue page served by the same worker waits for one slice at every
database round trip; when the niced thread is descheduled while holding the GIL, the page
waits for the scheduler as well. Measured with the load test's mix (2 workers, 8 clients):
browse p99 47.6–63.7 ms against 12–13 ms unloaded (3.7–5.3x); with the rankings answered by a
separate, niced gunicorn, 21.9 ms (1.8x), and the pages' p50 under the mix went from 8.6–13.3
to 4.8 ms.

How: under gunicorn (app/gunicorn_conf.py) the master starts a second, niced gunicorn on a
Unix socket in a private folder (``RANKING_SOCKET``); the web workers wrap the app in
:class:`RankingDelegation`, which sends each request for a view marked with
:func:`ranking_view` to that socket and relays the answer. It is the same app on the same
database, so authentication, authorisation, the unit of work and the response are exactly
those of an in-process request. Only safe methods are delegated. If the ranking process
cannot be reached, the request is served in process (logged), so a crashed or restarting
ranking server costs latency, never an error.

The ranking server trusts the peer address and scheme the web worker sends
(:class:`DelegatedPeer`): it listens on nothing but that socket, in a folder only this user
can open.
"""

from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote

from flask import Flask
from werkzeug.datastructures import MultiDict

F = TypeVar("F", bound=Callable[..., Any])
Predicate = Callable[[MultiDict[str, str]], bool]

_MARK = "_ranking_view"
SAFE_METHODS = frozenset({"GET", "HEAD"})
PEER_HEADER = "X-Ranking-Peer"
SCHEME_HEADER = "X-Ranking-Scheme"
# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are never relayed.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

log = logging.getLogger(__name__)


def ranking_view(when: Predicate | None = None) -> Callable[[F], F]:
    """Mark a view whose work is a ranking; ``when`` decides from the query string (a
    catalogue page ranks only when it has a search text)."""

    def mark(view: F) -> F:
        setattr(view, _MARK, when or (lambda args: True))
        return view

    return mark


def is_ranking_request(app: Flask, environ: dict[str, Any]) -> bool:
    """Whether ``environ`` asks a safe method of a view marked with :func:`ranking_view`."""
    if environ.get("REQUEST_METHOD") not in SAFE_METHODS:
        return False
    try:
        adapter = app.create_url_adapter(app.request_class(environ))
        if adapter is None:
            return False
        endpoint, _ = adapter.match()
    except Exception:  # noqa: BLE001 - a 404, 405 or bad Host: the app itself answers it
        return False
    when = getattr(app.view_functions.get(endpoint), _MARK, None)
    if when is None:
        return False
    query = environ.get("QUERY_STRING", "")
    return bool(when(MultiDict(parse_qsl(query, keep_blank_values=True))))


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _target(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI")  # gunicorn: the request line's target, exactly as sent
    if raw and raw.startswith("/"):
        return str(raw)
    # WSGI strings carry the request's bytes as latin-1.
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    query = environ.get("QUERY_STRING", "")
    return quote(path, safe="/;:@&=+$,!~*'()%") + (f"?{query}" if query else "")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
            if name.lower() not in HOP_BY_HOP:
                headers[name] = value
    for name in (PEER_HEADER, SCHEME_HEADER):
        headers.pop(name, None)  # only this process says who the peer is
    headers[PEER_HEADER] = str(environ.get("REMOTE_ADDR") or "")
    headers[SCHEME_HEADER] = str(environ.get("wsgi.url_scheme") or "http")
    return headers


class RankingDelegation:
    """WSGI middleware of a web worker: ranking requests go to the ranking process."""

    def __init__(
        self, wsgi_app: Any, app: Flask, socket_path: str, *, timeout: float = 60.0
    ) -> None:
        self.wsgi_app, self.app = wsgi_app, app
        self.socket_path, self.timeout = socket_path, timeout

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if is_ranking_request(self.app, environ):
            try:
                return self._forward(environ, start_response)
            except (OSError, http.client.HTTPException) as exc:
                log.warning("ranking process unreachable (%s); serving in process", exc)
        return self.wsgi_app(environ, start_response)

    def _forward(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        connection = _UnixConnection(self.socket_path, self.timeout)
        try:
            connection.request(
                environ["REQUEST_METHOD"], _target(environ), headers=_headers(environ)
            )
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        # The web worker's own server sets Date and Server; the length is the body's (a
        # HEAD answer has none, and keeps the ranking server's).
        skip = HOP_BY_HOP | {"date", "server"}
        if environ["REQUEST_METHOD"] != "HEAD":
            skip |= {"content-length"}
        headers = [
            (name, value) for name, value in response.getheaders() if name.lower() not in skip
        ]
        if environ["REQUEST_METHOD"] != "HEAD":
            headers.append(("Content-Length", str(len(body))))
        start_response(f"{response.status} {response.reason}", headers)
        return [body]


class DelegatedPeer:
    """WSGI middleware of the ranking server: the client's address and scheme as the web
    worker saw them (before ProxyFix, which then applies ``PROXY_COUNT`` as it would there)."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        peer = environ.pop("HTTP_" + PEER_HEADER.upper().replace("-", "_"), None)
        scheme = environ.pop("HTTP_" + SCHEME_HEADER.upper().replace("-", "_"), None)
        if peer is not None:
            environ["REMOTE_ADDR"] = peer
        if scheme in ("http", "https"):
            environ["wsgi.url_scheme"] = scheme
        return self.wsgi_app(environ, start_response)


def init_delegation(app: Flask) -> None:
    """Wrap the app for its role: a web worker delegating to ``RANKING_SOCKET``, the ranking
    server itself (``RANKING_SERVER``), or neither (one process, tests, CLI)."""
    if app.config.get("RANKING_SERVER"):
        app.wsgi_app = DelegatedPeer(app.wsgi_app)  # type: ignore[method-assign]
    elif app.config.get("RANKING_SOCKET") and app.config.get("MATCHING_ENABLED"):
        app.wsgi_app = RankingDelegation(  # type: ignore[method-assign]
            app.wsgi_app, app, app.config["RANKING_SOCKET"]
        )

"""Ranking requests are answered by the ranking process (app.matching.delegation).

A real ranking server (the app in its ``RANKING_SERVER`` role, on a Unix socket, in a thread)
and a web app delegating to it, on one committed database: what is a ranking goes there with
the visitor's cookies and address, everything else is served by the web app itself, and a
ranking server that cannot be reached costs nothing but the in-process path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

from app.extensions import db
from app.matching.delegation import is_ranking_request
from tests.conftest import make_test_app
from tests.factories import login, make_brief, make_business, make_creator
from tests.stripe_support import truncate_all


@pytest.mark.parametrize(
    ("method", "url", "ranking"),
    [
        ("GET", "/offers?q=logo+design", True),
        ("HEAD", "/offers?q=logo", True),
        ("GET", "/offers?category=design&q=logo&page=2", True),
        ("GET", "/offers", False),
        ("GET", "/offers?q=+++", False),  # blank: the plain catalogue
        ("GET", "/offers?page=3", False),
        ("GET", "/offers/12", False),
        ("GET", "/briefs/7/recommendations", True),
        ("GET", "/api/v1/briefs/7/matches?limit=5", True),
        ("GET", "/my/briefs-for-you", True),
        ("POST", "/briefs/7/recommendations", False),  # only safe methods
        ("GET", "/no/such/page", False),
        ("GET", "/briefs/99999999999999999999999/recommendations", False),
    ],
)
def test_only_ranking_views_are_delegated(app: Flask, method: str, url: str, ranking: bool):
    environ = EnvironBuilder(path=url, method=method, base_url="http://localhost").get_environ()
    assert is_ranking_request(app, environ) is ranking


class _RankingServer:
    """The app as the ranking server, on a Unix socket; remembers what reached the app."""

    def __init__(self, app: Flask, socket_path: Path) -> None:
        self.seen: list[dict[str, Any]] = []
        inner = app.wsgi_app.wsgi_app  # type: ignore[attr-defined] - inside DelegatedPeer

        def recording(environ: dict[str, Any], start_response: Any) -> Any:
            self.seen.append(
                {
                    "path": environ["PATH_INFO"],
                    "query": environ.get("QUERY_STRING", ""),
                    "remote_addr": environ.get("REMOTE_ADDR"),
                    "peer_header": environ.get("HTTP_X_RANKING_PEER"),
                }
            )
            return inner(environ, start_response)

        app.wsgi_app.wsgi_app = recording  # type: ignore[attr-defined]
        self.server = make_server(f"unix://{socket_path}", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def roles(app: Flask, database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A ranking server and a web app delegating to it, on real commits; tables emptied after.

    The ranking server has matching switched off, so what it answers is the keyword catalogue
    and an empty list (no model load here); the delegation is what is under test."""
    socket_path = tmp_path / "ranking.sock"
    server_app = make_test_app(database_url, tmp_path / "ranking", RANKING_SERVER=True)
    server = _RankingServer(server_app, socket_path)
    web = make_test_app(
        database_url,
        tmp_path / "web",
        RANKING_SOCKET=str(socket_path),
        MATCHING_ENABLED=True,
        INDEX_DIR=str(tmp_path / "index"),
    )
    assert db.engine is not None
    db.bind(db.engine)
    try:
        with web.app_context():
            yield {"web": web, "server": server, "session": db.session()}
    finally:
        server.stop()
        db.session.remove()
        truncate_all()


def test_rankings_reach_the_ranking_server_as_the_visitor(roles: dict[str, Any]):
    session, server, web = roles["session"], roles["server"], roles["web"]
    creator = make_creator(session)
    session.commit()
    client = web.test_client()

    login(client, creator)  # served by the web app itself
    page = client.get("/my/briefs-for-you", headers={"X-Request-ID": "ranked-1"})
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert page.headers["X-Request-ID"] == "ranked-1"  # the ranking server's answer, relayed
    search = client.get("/offers?q=logo+design", headers={"X-Ranking-Peer": "203.0.113.9"})
    assert search.status_code == 200
    head = client.head("/offers?q=logo+design")
    assert head.status_code == 200 and head.get_data() == b""
    assert int(head.headers["Content-Length"]) == len(search.get_data())
    assert client.get("/offers").status_code == 200  # browsing stays here
    assert client.get("/offers?page=2").status_code == 200

    assert [(s["path"], s["query"]) for s in server.seen] == [
        ("/my/briefs-for-you", ""),
        ("/offers", "q=logo+design"),
        ("/offers", "q=logo+design"),  # the HEAD
    ]
    # Signed in there with the visitor's cookie, seen from the visitor's address: a forged
    # peer header is replaced by the web app's, and consumed before the app sees it.
    assert all(s["remote_addr"] == "127.0.0.1" for s in server.seen)
    assert all(s["peer_header"] is None for s in server.seen)


def test_the_ranking_server_refuses_as_the_app_would(roles: dict[str, Any]):
    session, server, web = roles["session"], roles["server"], roles["web"]
    owner, other = make_business(session), make_business(session)
    brief = make_brief(session, owner)
    session.commit()
    client = web.test_client()

    anonymous = client.get(f"/api/v1/briefs/{brief.id}/matches")
    assert anonymous.status_code == 401
    assert anonymous.headers["Content-Type"].startswith("application/problem+json")
    login(client, other)
    assert client.get(f"/briefs/{brief.id}/recommendations").status_code == 404
    assert [s["path"] for s in server.seen] == [
        f"/api/v1/briefs/{brief.id}/matches",
        f"/briefs/{brief.id}/recommendations",
    ]


def test_an_unreachable_ranking_server_means_serving_in_process(
    roles: dict[str, Any], caplog: pytest.LogCaptureFixture
):
    session, server, web = roles["session"], roles["server"], roles["web"]
    owner, other = make_business(session), make_business(session)
    brief = make_brief(session, owner)
    session.commit()
    client = web.test_client()
    login(client, other)
    server.stop()

    with caplog.at_level(logging.WARNING, logger="app.matching.delegation"):
        answer = client.get(f"/briefs/{brief.id}/recommendations")
    assert answer.status_code == 404  # the web app's own answer, not a 502
    assert server.seen == []
    assert "ranking process unreachable" in caplog.text

"""Ranking work is admitted through the machine's ranking slots (app.matching.slots, issue
17): rankings queue among themselves while pages go through at once."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.matching import services
from app.matching.slots import default_slots, ranking_slot
from tests.factories import make_creator, make_offer


@pytest.fixture()
def one_slot(app: Flask) -> Iterator[Path]:
    saved = app.config.get("MATCHING_SLOTS")
    app.config["MATCHING_SLOTS"] = 1
    try:
        yield Path(app.instance_path) / "matching-slot-0.lock"
    finally:
        app.config["MATCHING_SLOTS"] = saved


def _held(path: Path) -> bool:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_rankings_wait_for_a_slot_and_pages_do_not(
    app: Flask, client: FlaskClient, session: Session, one_slot: Path
) -> None:
    entered = threading.Event()

    def other_ranking() -> None:
        with app.app_context(), ranking_slot():
            entered.set()

    with ranking_slot():
        assert _held(one_slot)
        with ranking_slot():  # re-entrant in one thread
            pass
        waiting = threading.Thread(target=other_ranking)
        waiting.start()
        started = time.monotonic()
        assert client.get("/offers").status_code == 200  # a page needs no slot
        assert time.monotonic() - started < 5
        assert not entered.wait(0.3), "a second ranking ran while the only slot was taken"
    assert entered.wait(10), "the waiting ranking never got the freed slot"
    waiting.join(10)
    assert not _held(one_slot)


def test_the_ranking_services_hold_a_slot(
    app: Flask, session: Session, matching: Path, one_slot: Path
) -> None:
    make_offer(session, make_creator(session), status="published", title="Logo design")
    session.flush()
    seen: list[bool] = []

    def before(*_: object) -> None:
        seen.append(_held(one_slot))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        services.semantic_offer_ids(session, "logo design")
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert seen and all(seen), "the search ran outside a ranking slot"
    assert not _held(one_slot)


def test_slots_default_to_all_cores_but_one() -> None:
    assert default_slots() >= 1


def test_rankings_run_on_lower_priority_threads_in_the_callers_unit_of_work(
    app: Flask, session: Session, matching: Path, one_slot: Path
) -> None:
    """MATCHING_NICE: the ranking runs on a dedicated thread whose nice value is raised, with
    the caller's session (it sees the caller's unflushed-then-flushed rows), and the request
    thread keeps its own priority."""
    offer = make_offer(session, make_creator(session), status="published", title="Logo design")
    session.flush()
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[tuple[str, int, bool]] = []

    def before(*_: object) -> None:
        tid = threading.get_native_id()
        seen.append(
            (
                threading.current_thread().name,
                os.getpriority(os.PRIO_PROCESS, tid),
                db.session() is session,
            )
        )

    saved = app.config.get("MATCHING_NICE")
    app.config["MATCHING_NICE"] = 7
    event.listen(db.engine, "before_cursor_execute", before)
    try:
        in_lane = services.semantic_offer_ids(session, "logo design")
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        app.config["MATCHING_NICE"] = saved
    inline = services.semantic_offer_ids(session, "logo design")
    assert in_lane == inline and offer.id in in_lane
    assert seen, "the search read nothing"
    assert all(name.startswith("ranking") for name, _, _ in seen)
    assert all(nice == min(19, own + 7) for _, nice, _ in seen)
    assert all(same for _, _, same in seen), "the ranking used another unit of work"
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own
    assert not _held(one_slot)

"""Migration 0008 moves what the per-domain stores held into the kernel's: transition
histories into the audit table, pending timers of both old queues into ``jobs``, released
sales into ``payouts`` (keeping their Stripe idempotency keys)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app import migrate
from tests.test_migrations import empty_database_url  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def _dummy(column: sa.Column[Any]) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = dict
    if kind is bool:
        return False
    if kind is int:
        return next(_ids) if column.unique else 0
    if kind is datetime:
        return NOW
    if kind is date:
        return NOW.date()
    if kind in (dict, list):
        return {}
    return f"x{next(_ids)}"


def _insert(conn: sa.Connection, meta: sa.MetaData, name: str, **values: Any) -> int:
    """Insert a row, filling every required column the test does not care about."""
    table = meta.tables[name]
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        row[column.name] = _dummy(column)
    result = conn.execute(table.insert().values(**row))
    return int(result.inserted_primary_key[0])


@pytest.fixture()
def at_0007(empty_database_url: str) -> Iterator[tuple[str, sa.Engine]]:  # noqa: F811
    migrate.upgrade(empty_database_url, "0007_merge_domains")
    engine = sa.create_engine(empty_database_url)
    try:
        yield empty_database_url, engine
    finally:
        engine.dispose()


def test_0008_moves_histories_timers_and_released_sales(at_0007: tuple[str, sa.Engine]) -> None:
    url, engine = at_0007
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        creator = _insert(conn, meta, "users", email="c@example.com", suspended_at=None)
        business = _insert(conn, meta, "users", email="b@example.com", suspended_at=None)
        offer = _insert(conn, meta, "offers", creator_id=creator, currency="USD")
        contract = _insert(
            conn,
            meta,
            "contracts",
            business_id=business,
            creator_id=creator,
            offer_id=offer,
            proposal_id=None,
            brief_id=None,
            total_minor=10_000,
            currency="USD",
            status="active",
        )
        released = _insert(
            conn,
            meta,
            "milestones",
            contract_id=contract,
            position=1,
            amount_minor=10_000,
            currency="USD",
            state="released",
            funded_minor=10_000,
            released_minor=10_000,
            refunded_minor=0,
            fee_minor=1_000,
            fee_bp=1000,
            hold_hours=192,
            charge_id="ch_1",
            payment_intent_id="pi_1",
            released_at=NOW,
            clears_at=NOW,
            revisions_used=0,
            max_revisions=3,
        )
        _insert(
            conn,
            meta,
            "milestone_events",
            milestone_id=released,
            action="accept",
            from_state="delivered",
            to_state="released",
            data={"fee_bp": 1000},
        )
        for kind, key in (
            ("transfer", f"milestone-{released}-transfer"),
            ("auto_accept", f"milestone-{released}-auto-accept-0"),
        ):
            _insert(
                conn,
                meta,
                "payment_jobs",
                kind=kind,
                milestone_id=released,
                subject_id=None,
                key=key,
                due_at=NOW,
                status="pending",
                attempts=2,
                last_error="",
            )
        _insert(
            conn,
            meta,
            "payment_jobs",
            kind="auto_accept",
            milestone_id=released,
            subject_id=None,
            key="old-done",
            due_at=NOW,
            status="done",
            attempts=0,
            last_error="",
        )
        _insert(
            conn,
            meta,
            "audit_events",
            action="brief.status_changed",
            subject_type="brief",
            subject_id=1,
            data={"from_status": "draft", "to_status": "open"},
        )
    migrate.upgrade(url)

    with engine.connect() as conn:
        audit = conn.execute(
            sa.text(
                "SELECT action, subject_type, from_state, to_state FROM audit_events ORDER BY id"
            )
        ).all()
        assert ("milestone.accept", "milestone", "delivered", "released") in audit
        assert ("brief.publish", "brief", "draft", "open") in audit
        payout = conn.execute(
            sa.text(
                "SELECT id, state, net, transfer_key FROM (SELECT id, state,"
                " gross_minor - fee_minor AS net, transfer_key, subject_id FROM payouts"
                " WHERE subject_type = 'milestone') p WHERE subject_id = :m"
            ),
            {"m": released},
        ).one()
        assert payout.state == "scheduled" and payout.net == 9_000
        assert payout.transfer_key == f"milestone-{released}-transfer"  # same Stripe key
        jobs = conn.execute(
            sa.text("SELECT kind, subject_type, subject_id, key, attempts FROM jobs ORDER BY key")
        ).all()
        assert [tuple(j) for j in jobs] == sorted(
            [
                ("auto_accept", "milestone", released, f"milestone-{released}-auto-accept-0", 2),
                ("payout", "payout", payout.id, f"payout-{payout.id}", 2),
            ],
            key=lambda j: j[3],
        )
        tables = set(sa.inspect(conn).get_table_names())
        assert not tables & {
            "payment_jobs",
            "media_payout_jobs",
            "milestone_events",
            "media_events",
            "dispute_events",
            "payout_transfers",
        }

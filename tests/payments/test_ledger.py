"""Ledger invariants: balanced entries only (in code, and by trigger on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.payments import ledger
from app.payments.models import Posting


def test_unbalanced_entry_is_refused_in_code(session: Session) -> None:
    before = ledger.snapshot(session)
    bad = [
        [("a", 100), ("b", -99)],
        [("a", 100)],
        [("a", 1.5), ("b", -1.5)],
    ]
    for lines in bad:
        with pytest.raises(ledger.UnbalancedEntry):
            ledger.post(session, key=f"k-{lines}", kind="test", currency="USD", lines=lines)  # type: ignore[arg-type]
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.post(session, key="k-cur", kind="test", currency="XXX", lines=[("a", 1), ("b", -1)])
    assert ledger.snapshot(session) == before


def test_balanced_entry_and_derived_balances(session: Session) -> None:
    ledger.post(
        session,
        key="t-1",
        kind="test",
        currency="EUR",
        lines=[(ledger.CUSTOMER_PAYMENTS, -500), ("platform_fees", 500)],
    )
    assert ledger.balance(session, "platform_fees", "EUR") >= 500
    assert ledger.check(session).ok


def test_check_reports_a_smuggled_unbalanced_posting(session: Session, is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("the PostgreSQL trigger refuses it (test below)")
    entry = ledger.post(
        session,
        key="t-2",
        kind="test",
        currency="USD",
        lines=[(ledger.CUSTOMER_PAYMENTS, -100), ("platform_fees", 100)],
    )
    session.execute(
        insert(Posting).values(
            entry_id=entry.id, account="platform_fees", amount_minor=-500, currency="USD"
        )
    )
    report = ledger.check(session)
    assert not report.ok
    assert any("sums to" in p for p in report.problems)
    assert any("negative" in p for p in report.problems)


@pytest.mark.postgres
def test_postgres_trigger_refuses_unbalanced_entry_at_commit(session: Session) -> None:
    entry = ledger.post(
        session,
        key="t-3",
        kind="test",
        currency="USD",
        lines=[(ledger.CUSTOMER_PAYMENTS, -100), ("platform_fees", 100)],
    )
    savepoint = session.begin_nested()
    session.execute(
        insert(Posting).values(
            entry_id=entry.id, account="platform_fees", amount_minor=1, currency="USD"
        )
    )
    with pytest.raises(DBAPIError, match="does not balance"):
        # What COMMIT does with the deferred constraint trigger.
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    savepoint.rollback()


@pytest.mark.postgres
def test_postgres_postings_are_append_only(session: Session) -> None:
    ledger.post(
        session,
        key="t-4",
        kind="test",
        currency="USD",
        lines=[(ledger.CUSTOMER_PAYMENTS, -100), ("platform_fees", 100)],
    )
    for statement in (update(Posting).values(amount_minor=5), text("DELETE FROM postings")):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement)
        savepoint.rollback()

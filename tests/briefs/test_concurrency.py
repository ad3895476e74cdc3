"""Real races on PostgreSQL: two transactions on two connections, committed for real.

The usual per-test rollback cannot show locking, so these tests commit and clean up after
themselves (every table is emptied afterwards, as the `committed` fixture does).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.models import User
from app.briefs import services
from app.briefs.errors import BriefNotOpen, DuplicateProposal
from app.briefs.models import Brief, Proposal
from app.contracts.models import Contract
from tests.factories import make_brief, make_business, make_creator, make_proposal
from tests.stripe_support import truncate_all

pytestmark = pytest.mark.postgres


@pytest.fixture()
def sessions(app, database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(database_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        yield factory
    finally:
        engine.dispose()
        # Every table, not just the ones these tests write: making a brief also queues its
        # vector job, and a job left behind would be run by the next test that runs the queue.
        truncate_all()


def _setup(factory: sessionmaker[Session], proposals: int) -> tuple[int, int, list[int]]:
    with factory() as session:
        business = make_business(session)
        creators = [make_creator(session) for _ in range(2)]
        brief = make_brief(session, business)
        ids = [make_proposal(session, brief, c).id for c in creators[:proposals]]
        session.commit()
        return brief.id, business.id, ids or [c.id for c in creators]


def test_concurrent_accepts_create_one_contract(sessions):
    brief_id, business_id, proposal_ids = _setup(sessions, proposals=2)
    first, second = sessions(), sessions()
    try:
        owner = first.get(User, business_id)
        services.accept_proposal(first, first.get(Proposal, proposal_ids[0]), owner)
        outcome: list[object] = []

        def racer() -> None:
            owner2 = second.get(User, business_id)
            try:
                services.accept_proposal(second, second.get(Proposal, proposal_ids[1]), owner2)
                outcome.append("accepted")
            except BriefNotOpen as exc:
                outcome.append(exc)

        thread = threading.Thread(target=racer)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second accept must wait for the brief's row lock"
        first.commit()
        thread.join(timeout=10)
        assert len(outcome) == 1 and isinstance(outcome[0], BriefNotOpen)
        second.rollback()
    finally:
        first.close()
        second.close()
    with sessions() as check:
        assert check.scalar(select(func.count()).select_from(Contract)) == 1
        assert check.get(Brief, brief_id).status == "in_progress"


def test_concurrent_duplicate_proposal_is_a_clear_conflict(sessions):
    brief_id, _business_id, creator_ids = _setup(sessions, proposals=0)
    first, second = sessions(), sessions()
    data = services.ProposalInput(
        cover_letter="Racing myself from two browser tabs here.", price_minor=1000, delivery_days=3
    )
    try:
        creator = first.get(User, creator_ids[0])
        services.submit_proposal(first, first.get(Brief, brief_id), creator, data)
        outcome: list[object] = []

        def racer() -> None:
            twin = second.get(User, creator_ids[0])
            try:
                services.submit_proposal(second, second.get(Brief, brief_id), twin, data)
                outcome.append("submitted")
            except DuplicateProposal as exc:
                outcome.append(exc)
            # The SAVEPOINT kept the transaction usable after the unique violation.
            outcome.append(second.scalar(select(func.count()).select_from(Proposal)))

        thread = threading.Thread(target=racer)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the twin insert must wait on the unique index"
        first.commit()
        thread.join(timeout=10)
        assert isinstance(outcome[0], DuplicateProposal) and outcome[1] == 1
        second.commit()
    finally:
        first.close()
        second.close()

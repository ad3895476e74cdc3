"""Issue 17: nothing on the hot path encodes what was encoded before.

Brief vectors are stored by a job when a brief is created, edited or published; the matches
views read them; search query vectors go through a bounded LRU; catalog search builds no
explanations; ranking metadata is read column by column; torch threads fit the cores."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import event, select

from app import jobs
from app.briefs import services as briefs
from app.extensions import db
from app.matching import services, vectors
from app.matching.documents import candidate_meta
from app.matching.models import BriefVector
from ml import encoder as encoder_module
from ml.encoder import Encoder, get_encoder
from ml.matcher import Matcher
from tests.factories import api_token, make_business, make_creator, make_offer
from tests.matching.test_recommendations import BACKEND, PHOTO, wedding_brief

pytestmark = pytest.mark.slow


@pytest.fixture()
def encodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Every text the model really encodes (LRU hits are not encodings), from a cold LRU."""
    calls: list[list[str]] = []
    original = Encoder.encode

    def spy(self: Encoder, texts, batch_size=None):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return original(self, texts, batch_size)

    monkeypatch.setattr(Encoder, "encode", spy)
    get_encoder()._cache.clear()
    yield calls
    get_encoder()._cache.clear()


def _brief_input(brief, **changes):  # type: ignore[no-untyped-def]
    values = {
        name: getattr(brief, name)
        for name in briefs.BriefInput.__dataclass_fields__  # type: ignore[attr-defined]
    }
    return briefs.BriefInput(**(values | changes))


def test_a_brief_vector_is_stored_by_the_job_and_matches_never_encode_it(
    client, session, matching, encodes
):
    creator = make_creator(session)
    make_offer(session, creator, status="published", **PHOTO)
    make_offer(session, make_creator(session), status="published", **BACKEND)
    owner = make_business(session)
    brief = wedding_brief(session, owner)
    assert session.get(BriefVector, brief.id) is None  # not on the request path
    pending = session.scalars(select(jobs.Job).where(jobs.Job.kind == vectors.JOB)).all()
    assert [job.subject_id for job in pending] == [brief.id] * len(pending) and pending

    jobs.run_due(session)
    stored = session.get(BriefVector, brief.id)
    assert stored is not None
    assert stored.text_hash == vectors.text_hash(vectors.brief_text(brief))
    expected = get_encoder().encode([vectors.brief_text(brief)])[0]
    np.testing.assert_allclose(np.frombuffer(stored.vector, dtype="<f4"), expected, atol=1e-5)

    get_encoder()._cache.clear()
    encodes.clear()
    headers = api_token(session, owner)
    for _ in range(3):
        response = client.get(f"/api/v1/briefs/{brief.id}/matches", headers=headers)
        assert response.status_code == 200
        assert response.get_json()["matches"][0]["creator"]["id"] == creator.id
    assert services.recommend_creators(session, brief)[0].creator.id == creator.id
    brief_encodings = [c for c in encodes if vectors.brief_text(brief) in c]
    assert brief_encodings == [], "a stored brief vector was encoded again"

    # An edit makes the stored vector stale: it is never used, and the job replaces it.
    changed = _brief_input(brief, title="Photographer for our wedding in September")
    briefs.update_brief(session, brief, owner, changed)
    assert vectors.stored_vectors(session, [brief]) == {}
    services.recommend_creators(session, brief)
    services.recommend_creators(session, brief)
    brief_encodings = [c for c in encodes if vectors.brief_text(brief) in c]
    assert len(brief_encodings) == 1, "until the job runs, the request encodes once per process"
    jobs.run_due(session)
    session.refresh(stored)
    assert stored.text_hash == vectors.text_hash(vectors.brief_text(brief))


def test_briefs_for_a_creator_read_stored_vectors(session, matching, encodes):
    creator = make_creator(session)
    make_offer(session, creator, status="published", **PHOTO)
    owner = make_business(session)
    fitting = wedding_brief(session, owner)
    jobs.run_due(session)
    encodes.clear()
    suggestions = services.briefs_for_creator(session, creator)
    assert suggestions[0].brief.id == fitting.id
    # Only the creator's own texts are encoded; the brief's vector was read.
    assert len(encodes) == 1 and vectors.brief_text(fitting) not in encodes[0]


def test_rebuild_index_backfills_missing_brief_vectors(session, matching):
    brief = wedding_brief(session, make_business(session))
    assert session.get(BriefVector, brief.id) is None
    assert vectors.backfill(session) >= 1
    assert session.get(BriefVector, brief.id) is not None
    assert vectors.backfill(session) == 0  # current vectors are kept


def test_query_vectors_go_through_a_bounded_lru(encodes, monkeypatch):
    enc = get_encoder()
    monkeypatch.setattr(enc, "cache_size", 2)
    first = enc.encode_one("logo design")
    again = enc.encode_one("logo design")
    assert again is first and len(encodes) == 1
    with pytest.raises(ValueError):
        first[0] = 1.0  # shared between callers: read-only
    enc.encode_one("video editing")
    enc.encode_one("product photography")
    assert len(enc._cache) == 2 and "logo design" not in enc._cache
    enc.encode_one("logo design")
    assert len(encodes) == 4


def test_catalog_search_builds_no_explanations(session, matching, encodes, monkeypatch):
    make_offer(session, make_creator(session), status="published", **PHOTO)
    make_offer(session, make_creator(session), status="published", **BACKEND)
    explained = services.current_matcher(session).match(
        services.Query(title="wedding photographer"), k=10, group_by_owner=False
    )

    def no_explanations(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("catalog search built an explanation")

    monkeypatch.setattr(Matcher, "_explain", no_explanations)
    ids = services.semantic_offer_ids(session, "wedding photographer")
    assert ids and ids == [m.doc_id for m in explained][: len(ids)]
    assert services.nearest_offer_ids(session, "wedding photographer")
    query_encodings = [c for c in encodes if c == ["wedding photographer."]]
    assert len(query_encodings) == 1, "the same query text is encoded once"


def test_candidate_meta_reads_columns_not_rows(session):
    creator = make_creator(session)
    service = make_offer(session, creator, status="published", **PHOTO)
    from tests.factories import published_influencer_offer

    channel = published_influencer_offer(session)
    session.flush()
    service_id, channel_id = service.id, channel.id
    session.expire_all()
    statements: list[str] = []

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        metas = candidate_meta(session, [service_id, channel_id], "EUR")
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert len(statements) == 3
    assert not [s for s in statements if "offers.description" in s or "password_hash" in s]
    assert metas[service_id].kind == "service" and metas[service_id].audience_size is None
    assert metas[service_id].currency == "EUR" and metas[service_id].listed_currency == "USD"
    assert metas[channel_id].audience_size == 48_000
    assert metas[channel_id].audience_regions == frozenset({"DE", "AT"})
    assert metas[channel_id].engagement_bp == 345
    assert metas[service_id].is_new and metas[service_id].available


def test_torch_threads_are_the_cores_per_worker(monkeypatch):
    monkeypatch.setattr(encoder_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.delenv("ML_TORCH_THREADS", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    assert encoder_module.default_threads() == 2
    monkeypatch.setenv("WEB_CONCURRENCY", "8")
    assert encoder_module.default_threads() == 1
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert encoder_module.default_threads() == 4
    monkeypatch.setenv("ML_TORCH_THREADS", "3")
    assert encoder_module.default_threads() == 3

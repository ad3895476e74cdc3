"""Brief vectors, computed off the request path and stored (``BriefVector``).

When a brief is created, edited or published, its ``brief.*`` domain event schedules the job
``matching.encode_brief`` (app.jobs); the worker encodes the brief's query text once and
stores the vector with the hash of that text. The matches views read the stored vector (one
primary-key read); a vector whose hash is not the brief's current text is never used. Until
the job has run, a view encodes the text itself, once per process (the encoder's LRU).
``flask rebuild-index`` also fills in every missing or stale vector.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, events, jobs
from app.briefs.models import Brief
from app.matching.documents import brief_query
from app.matching.models import BriefVector
from ml.encoder import DIM, get_encoder
from ml.text import query_text

JOB = "matching.encode_brief"


def brief_text(brief: Brief) -> str:
    return query_text(brief_query(brief))


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def decode_vector(raw: bytes) -> np.ndarray:
    vec = np.frombuffer(raw, dtype="<f4")
    if vec.shape != (DIM,):
        raise ValueError(f"stored brief vector has {vec.size} values, expected {DIM}")
    return vec


def stored_vectors(session: Session, briefs: Sequence[Brief]) -> dict[int, np.ndarray]:
    """The stored, current vectors of ``briefs`` (one query); stale or missing ones absent."""
    if not briefs:
        return {}
    wanted = {brief.id: text_hash(brief_text(brief)) for brief in briefs}
    rows = session.execute(
        select(BriefVector.brief_id, BriefVector.text_hash, BriefVector.vector).where(
            BriefVector.brief_id.in_(list(wanted))
        )
    ).all()
    return {bid: decode_vector(raw) for bid, digest, raw in rows if wanted.get(bid) == digest}


def brief_vector(session: Session, brief: Brief) -> np.ndarray:
    """The brief's vector: stored if current, else encoded here (once per process, LRU)."""
    found = stored_vectors(session, [brief]).get(brief.id)
    if found is not None:
        return found
    return get_encoder().encode_one(brief_text(brief))


def brief_vectors(session: Session, briefs: Sequence[Brief]) -> dict[int, np.ndarray]:
    """Vectors of many briefs: the stored ones, the rest encoded in one batch here."""
    found = stored_vectors(session, briefs)
    missing = [brief for brief in briefs if brief.id not in found]
    if missing:
        encoder = get_encoder()
        texts = [brief_text(brief) for brief in missing]
        for brief, text, vec in zip(missing, texts, encoder.encode(texts), strict=True):
            encoder.remember(text, vec)
            found[brief.id] = vec
    return found


def store(session: Session, brief: Brief) -> bool:
    """Encode and store the brief's vector unless the stored one is current; True if it wrote."""
    text = brief_text(brief)
    digest = text_hash(text)
    row = session.get(BriefVector, brief.id)
    if row is not None and row.text_hash == digest:
        return False
    _put(session, brief.id, digest, get_encoder().encode_one(text))
    session.flush()
    return True


def _put(session: Session, brief_id: int, digest: str, vec: np.ndarray) -> None:
    raw = np.asarray(vec, dtype="<f4").tobytes()
    row = session.get(BriefVector, brief_id)
    if row is None:
        session.add(BriefVector(brief_id=brief_id, text_hash=digest, vector=raw))
    else:
        row.text_hash, row.vector, row.updated_at = digest, raw, clock.now()


def backfill(session: Session, batch: int = 64) -> int:
    """Store the vector of every brief that has none or a stale one; returns how many."""
    briefs = session.scalars(select(Brief).order_by(Brief.id)).all()
    current = stored_vectors(session, briefs)
    todo = [brief for brief in briefs if brief.id not in current]
    encoder = get_encoder()
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        vecs = encoder.encode([brief_text(brief) for brief in part])
        for brief, vec in zip(part, vecs, strict=True):
            _put(session, brief.id, text_hash(brief_text(brief)), vec)
        session.flush()
    return len(todo)


ENCODE_TIMER = jobs.Timer(JOB, "brief", "brief-{id}-vector-{digest}")
ENCODE_AGAIN_TIMER = jobs.Timer(JOB, "brief", "brief-{id}-vector-{digest}-{at}")


def run_encode_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    """Job handler: (re)store the brief's vector; a repeated or stale job is a no-op."""
    brief = session.get(Brief, job.subject_id)
    if brief is None:
        return "nothing to do (no brief)"
    return "stored" if store(session, brief) else "up to date"


def schedule_encoding(session: Session, brief: Brief) -> None:
    """Ask the worker to store the brief's vector for its current text (soon, not now)."""
    digest = text_hash(brief_text(brief))
    job = ENCODE_TIMER.set(session, brief.id, clock.now(), digest=digest)
    if job.status not in (jobs.JobStatus.PENDING, jobs.JobStatus.RUNNING):
        # The text went back to one encoded before (A -> B -> A): that job is finished, so
        # schedule a fresh one (the handler checks the stored hash and is cheap if current).
        at = f"{clock.now().timestamp():.6f}"
        ENCODE_AGAIN_TIMER.set(session, brief.id, clock.now(), digest=digest, at=at)


def on_brief_changed(session: Session, event: events.Event) -> None:
    schedule_encoding(session, event.subject)

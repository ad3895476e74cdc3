"""Stock media for a brief: listed assets ranked by meaning against the brief's text.

Each asset's text (title, description, keywords) is embedded with the shared sentence encoder
(ml.encoder.get_encoder) and kept in a small per-process cache keyed by (id, updated_at), so
an edited asset is re-embedded and nothing is stored in the database. With matching switched
off (MATCHING_ENABLED=False, as in most tests) a keyword-overlap ranking is used instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy.orm import Session

from app.briefs.models import Brief
from app.media.models import MediaAsset
from app.media.services import listed_query
from ml.explain import matched_terms
from ml.tokens import tokenize

CANDIDATES = 2000  # newest listed assets considered (bounded work per request)
MIN_SIMILARITY = 0.25
CACHE_SIZE = 20_000

_cache: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass
class AssetMatch:
    asset: MediaAsset
    score: float
    matched_terms: list[str]


def asset_text(asset: MediaAsset) -> str:
    return ". ".join(
        part for part in (asset.title, asset.description, ", ".join(asset.keywords)) if part
    )


def brief_text(brief: Brief) -> str:
    return ". ".join(
        part for part in (brief.title, brief.description, ", ".join(brief.skills)) if part
    )


def wants_stock_media(brief: Brief) -> bool:
    return "stock_media" in (brief.offer_kinds or [])


def _vectors(assets: list[MediaAsset]) -> np.ndarray:
    from ml.encoder import get_encoder

    keys = [(asset.id, asset.updated_at.isoformat()) for asset in assets]
    with _cache_lock:
        missing = [i for i, key in enumerate(keys) if key not in _cache]
    if missing:
        encoded = get_encoder().encode([asset_text(assets[i]) for i in missing])
        with _cache_lock:
            for row, i in enumerate(missing):
                _cache[keys[i]] = encoded[row]
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    with _cache_lock:
        return np.stack([_cache[key] for key in keys])


def matching_assets(session: Session, brief: Brief, *, limit: int = 12) -> list[AssetMatch]:
    """Listed assets that fit ``brief``, best first (the brief owner's own media excluded)."""
    assets = list(
        session.scalars(
            listed_query()
            .where(MediaAsset.creator_id != brief.business_id)
            .order_by(MediaAsset.published_at.desc(), MediaAsset.id.desc())
            .limit(CANDIDATES)
        )
    )
    if not assets:
        return []
    text = brief_text(brief)
    query_terms = set(tokenize(text))
    term_sets = [set(tokenize(asset_text(asset))) for asset in assets]
    if current_app.config.get("MATCHING_ENABLED"):
        from ml.encoder import get_encoder

        query = get_encoder().encode_one(brief_text(brief))
        scores = (_vectors(assets) @ query).tolist()
        keep = [i for i, score in enumerate(scores) if score >= MIN_SIMILARITY]
    else:
        scores = [len(query_terms & terms) / max(1, len(query_terms)) for terms in term_sets]
        keep = [i for i, score in enumerate(scores) if score > 0]
    keep.sort(key=lambda i: (-scores[i], -assets[i].id))
    return [
        # The brief's own words for the shared stems ("juice", not "juic").
        AssetMatch(assets[i], float(scores[i]), matched_terms(text, term_sets[i], limit=8))
        for i in keep[:limit]
    ]

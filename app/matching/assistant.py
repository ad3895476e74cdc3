"""Brief assistant: while a business writes a brief, suggest what similar work looked like.

From the draft's text it finds *similar offers* (the matching index, the same ranking as
recommendations, by relevance only) and *similar past briefs* (embedding similarity), then:

* skills and a category that those offers and briefs use (with how many of them do);
* a budget range from the agreed prices of similar past work — contracts made from those
  offers (ordered packages, negotiated terms) or from those briefs (accepted proposals) —
  in the draft's currency, with the number of data points; with fewer than ``MIN_POINTS`` it
  falls back to the similar offers' asking prices and says so (no single contract price is
  ever revealed);
* a typical delivery time from the same contracts (or the offers' fastest packages);
* how many creators who are taking work have an offer that matches the draft well.

Every suggestion carries a sentence saying where it comes from; applying it is up to the
business. Reads only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Availability, User
from app.briefs.models import Brief, BriefStatus
from app.contracts.models import Contract, ContractStatus
from app.errors import ValidationFailed
from app.matching.index import current_matcher
from app.money import SUPPORTED_CURRENCIES, format_minor
from app.offers.models import Offer, OfferStatus
from ml.encoder import get_encoder
from ml.text import Query, query_text

SIMILAR_OFFERS = 30  # offers read from the index
OFFER_RELATIVE_CUTOFF = 0.75  # an offer is "similar" at >= this share of the best relevance
OFFER_ABSOLUTE_FLOOR = 0.3
BRIEF_SIMILARITY_FLOOR = 0.5  # cosine between brief texts
SIMILAR_BRIEFS = 15
PAST_BRIEFS_SCANNED = 500
MIN_POINTS = 3  # fewer data points than this reveal individual prices: not shown
MAX_SKILLS = 8


@dataclass(frozen=True)
class Draft:
    title: str = ""
    description: str = ""
    skills: tuple[str, ...] = ()
    category: str = ""
    currency: str = "USD"
    offer_kinds: tuple[str, ...] = ()


@dataclass
class Suggestion:
    value: str
    why: str


@dataclass
class Range:
    low: int  # minor units (budget) or days (delivery)
    typical: int
    high: int
    data_points: int
    source: str  # "contracts" or "offers"
    why: str


@dataclass
class Assistance:
    skills: list[Suggestion] = field(default_factory=list)
    category: Suggestion | None = None
    budget: Range | None = None
    delivery_days: Range | None = None
    matching_creators: int = 0
    matching_why: str = ""
    similar_offers: list[str] = field(default_factory=list)  # titles, best first
    notes: list[str] = field(default_factory=list)  # what could not be suggested, and why


def check_draft(draft: Draft) -> Draft:
    """Raises ValidationFailed when there is too little (or too much) to go on."""
    errors: dict[str, list[str]] = {}
    if len(f"{draft.title} {draft.description}".strip()) < 10:
        errors["description"] = ["Write at least a few words about what you need."]
    if len(draft.title) > 120 or len(draft.description) > 5000:
        errors["description"] = ["The title or description is too long."]
    if len(draft.skills) > 20 or any(len(s) > 100 for s in draft.skills):
        errors["skills"] = ["Up to 20 skills of up to 100 characters."]
    if draft.currency not in SUPPORTED_CURRENCIES:
        errors["currency"] = [f"Use one of {', '.join(SUPPORTED_CURRENCIES)}."]
    if errors:
        raise ValidationFailed(errors)
    return draft


def _similar_offers(session: Session, draft: Draft) -> list[tuple[Offer, float]]:
    query = Query(title=draft.title, description=draft.description, skills=draft.skills)
    matches = current_matcher(session).match(query, k=SIMILAR_OFFERS, group_by_owner=False)
    if not matches:
        return []
    cutoff = max(OFFER_ABSOLUTE_FLOOR, OFFER_RELATIVE_CUTOFF * matches[0].relevance)
    relevance = {m.doc_id: m.relevance for m in matches if m.relevance >= cutoff}
    offers = session.scalars(
        select(Offer)
        .where(Offer.id.in_(relevance), Offer.status == OfferStatus.PUBLISHED)
        .options(selectinload(Offer.creator).selectinload(User.profile))
    ).all()
    return sorted(((o, relevance[o.id]) for o in offers), key=lambda p: -p[1])


def _similar_briefs(session: Session, draft: Draft, author_id: int) -> list[tuple[Brief, float]]:
    """Other businesses' published briefs (any later status) that read like the draft."""
    from app.matching.vectors import brief_vectors  # stored vectors, one query

    briefs = session.scalars(
        select(Brief)
        .where(Brief.status != BriefStatus.DRAFT, Brief.hidden_at.is_(None))
        .where(Brief.business_id != author_id)
        .order_by(Brief.id.desc())
        .limit(PAST_BRIEFS_SCANNED)
    ).all()
    if not briefs:
        return []
    qvec = get_encoder().encode_one(
        query_text(Query(title=draft.title, description=draft.description, skills=draft.skills))
    )
    vectors = brief_vectors(session, briefs)
    sims = np.asarray([float(vectors[b.id] @ qvec) for b in briefs])
    order = np.argsort(-sims)[:SIMILAR_BRIEFS]
    return [(briefs[i], float(sims[i])) for i in order if sims[i] >= BRIEF_SIMILARITY_FLOOR]


def _votes(groups: Iterable[Iterable[str]]) -> tuple[Counter[str], dict[str, str]]:
    """How many sources mention each value (case-insensitive), and its usual spelling."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for values in groups:
        seen = {v.strip().lower(): v.strip() for v in values if v and v.strip()}
        for key, spelled in seen.items():
            counts[key] += 1
            spellings[key][spelled] += 1
    return counts, {k: c.most_common(1)[0][0] for k, c in spellings.items()}


def _of(n: int, total: int, what: str) -> str:
    return f"{n} of {total} similar {what}" if total else ""


def _skills(draft: Draft, offers: Sequence[Offer], briefs: Sequence[Brief]) -> list[Suggestion]:
    o_counts, o_names = _votes(o.tags for o in offers)
    b_counts, b_names = _votes(b.skills for b in briefs)
    have = {s.strip().lower() for s in draft.skills}
    total = Counter({k: o_counts[k] + b_counts[k] for k in set(o_counts) | set(b_counts)})
    out = []
    for key, n in total.most_common():
        if key in have or n < 2:  # one source is an anecdote, not a pattern
            continue
        parts = [
            _of(o_counts[key], len(offers), "offers") if o_counts[key] else "",
            _of(b_counts[key], len(briefs), "briefs") if b_counts[key] else "",
        ]
        why = "Used in " + " and ".join(p for p in parts if p) + "."
        out.append(Suggestion(o_names.get(key) or b_names[key], why))
        if len(out) == MAX_SKILLS:
            break
    return out


def _category(draft: Draft, offers: Sequence[Offer], briefs: Sequence[Brief]) -> Suggestion | None:
    votes = Counter([o.category for o in offers] + [b.category for b in briefs])
    if not votes:
        return None
    name, n = votes.most_common(1)[0]
    if name == draft.category or n * 2 < sum(votes.values()):  # no clear majority: say nothing
        return None
    why = f"{n} of the {sum(votes.values())} most similar offers and briefs are in {name}."
    return Suggestion(name, why)


def _quartiles(values: Sequence[int]) -> tuple[int, int, int]:
    low, mid, high = np.percentile(np.asarray(values, dtype=np.float64), [25, 50, 75])
    return int(round(low)), int(round(mid)), int(round(high))


def _past_contracts(
    session: Session, offers: Sequence[Offer], briefs: Sequence[Brief]
) -> list[Contract]:
    offer_ids = [o.id for o in offers] or [-1]
    brief_ids = [b.id for b in briefs] or [-1]
    return list(
        session.scalars(
            select(Contract)
            .where(Contract.status != ContractStatus.CANCELLED)
            .where(Contract.offer_id.in_(offer_ids) | Contract.brief_id.in_(brief_ids))
        )
    )


def _budget(
    draft: Draft, contracts: Sequence[Contract], offers: Sequence[Offer], notes: list[str]
) -> Range | None:
    cur = draft.currency
    prices = [c.total_minor for c in contracts if c.currency == cur]
    if len(prices) >= MIN_POINTS:
        low, mid, high = _quartiles(prices)
        why = (
            f"Agreed prices of {len(prices)} contracts for similar work in {cur} (accepted "
            f"proposals and ordered packages): half were between {format_minor(low, cur)} and "
            f"{format_minor(high, cur)}."
        )
        return Range(low, mid, high, len(prices), "contracts", why)
    asking = [o.price_from_minor for o in offers if o.currency == cur and o.price_from_minor]
    elsewhere = sum(1 for c in contracts if c.currency != cur)
    note = f"Only {len(prices)} contracts for similar work in {cur}"
    note += f" ({elsewhere} more in other currencies, not converted)." if elsewhere else "."
    if len(asking) >= MIN_POINTS:
        low, mid, high = _quartiles(asking)
        why = (
            f"{note} Instead: the starting prices of {len(asking)} similar offers in {cur}; "
            f"half start between {format_minor(low, cur)} and {format_minor(high, cur)}."
        )
        return Range(low, mid, high, len(asking), "offers", why)
    notes.append(f"{note} Not enough similar offers in {cur} either to suggest a budget.")
    return None


def _delivery(contracts: Sequence[Contract], offers: Sequence[Offer]) -> Range | None:
    days = [c.delivery_days for c in contracts]
    source, what = "contracts", "contracts for similar work"
    if len(days) < MIN_POINTS:
        days = [o.delivery_days_min for o in offers if o.delivery_days_min]
        source, what = "offers", "similar offers (their fastest package)"
    if len(days) < MIN_POINTS:
        return None
    low, mid, high = _quartiles(days)
    why = f"Delivery times of {len(days)} {what}: typically {mid} days, half within {low}–{high}."
    return Range(low, mid, high, len(days), source, why)


def _matching_creators(draft: Draft, offers: Sequence[Offer]) -> tuple[int, str]:
    kinds = set(draft.offer_kinds)
    creators = {
        o.creator_id
        for o in offers
        if o.creator.is_active
        and (
            o.creator.profile is None or o.creator.profile.availability != Availability.UNAVAILABLE
        )
        and (not kinds or o.kind.value in kinds)
    }
    kind_note = " of the kinds you chose" if kinds else ""
    why = (
        f"{len(creators)} creators who are taking work have offers{kind_note} close to this "
        f"brief (at least {OFFER_RELATIVE_CUTOFF:.0%} as relevant as the best match)."
    )
    return len(creators), why


def assist(session: Session, draft: Draft, author: User) -> Assistance:
    """Suggestions for ``author``'s draft. Raises ValidationFailed (see :func:`check_draft`)."""
    check_draft(draft)
    scored_offers = [
        (o, r) for o, r in _similar_offers(session, draft) if o.creator_id != author.id
    ]
    offers = [o for o, _ in scored_offers]
    briefs = [b for b, _ in _similar_briefs(session, draft, author.id)]
    help_ = Assistance(similar_offers=list(dict.fromkeys(o.title for o in offers))[:3])
    if not offers and not briefs:
        help_.notes.append("Nothing similar on the marketplace yet: no suggestions to make.")
        return help_
    help_.skills = _skills(draft, offers, briefs)
    help_.category = _category(draft, offers, briefs)
    contracts = _past_contracts(session, offers, briefs)
    help_.budget = _budget(draft, contracts, offers, help_.notes)
    help_.delivery_days = _delivery(contracts, offers)
    help_.matching_creators, help_.matching_why = _matching_creators(draft, offers)
    return help_

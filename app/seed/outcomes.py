"""Demo history and recommendation outcomes, so brief budgets and ``flask train-reranker`` have
data to work on in a fresh local marketplace.

1. *Past work*: some businesses ordered packages from most service creators (real contracts through
   ``contracts.create_from_package``), so those creators are no longer "new" (which is what
   lets the exploration slot do its job) and similar briefs have contract prices to learn from.
2. *Simulated businesses*: each brief's owner looks at its recommendations (the real ranking,
   logged through the real outcome log), then views, invites and hires through the real
   services. Behaviour follows a stated click model, not the ranking's own score:

   * position bias: the chance of looking at rank ``r`` is ``0.95 / r**0.7``;
   * appeal = logistic(``9·(relevance/best − 0.8) + 3·(price_fit − 1) + 3·(reputation − 0.5)
     − 2·(1 − available) + noise``): businesses care more about price and reputation than the
     hand-set weights assume, which a learned re-ranker can discover;
   * a look becomes a view with probability ``0.3 + 0.7·appeal``, a view an invitation with
     ``appeal``, an invitation a proposal with 0.8 (0.1 when unavailable), and the most
     appealing proposer is hired on half of the briefs.

Deterministic for a given seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.briefs import services as briefs
from app.briefs.models import Brief, BriefStatus
from app.contracts import services as contracts
from app.insights.services import record_view
from app.matching import index
from app.matching import services as matching
from app.offers.models import Offer, OfferKind, OfferStatus

SEED_USER_AGENT = "Mozilla/5.0 (demo seed)"
PAST_WORK_SHARE = 0.85  # share of service creators with earlier contracts: most, not all
RECOMMENDATIONS_SHOWN = 30  # three exploration slots per page (ranks 10, 20 and 30)


def past_work(session: Session, rng: random.Random, businesses: Sequence[User]) -> int:
    """Contracts from package orders for a share of the service creators; returns how many."""
    offers = session.scalars(
        select(Offer)
        .where(Offer.kind == OfferKind.SERVICE, Offer.status == OfferStatus.PUBLISHED)
        .order_by(Offer.id)
    ).all()
    established = {o.creator_id for o in offers if rng.random() < PAST_WORK_SHARE}
    made = 0
    for offer in offers:
        if offer.creator_id not in established or not offer.packages:
            continue
        buyers = [b for b in businesses if b.id != offer.creator_id]
        for business in rng.sample(buyers, rng.choice((1, 1, 2, 3))):
            tier = rng.choice([p.tier for p in offer.packages])
            contracts.create_from_package(session, offer, str(tier), business=business)
            made += 1
    return made


def _appeal(rng: random.Random, rec: matching.Recommendation, best: float) -> float:
    c = rec.components
    logit = (
        9 * (rec.relevance / max(best, 1e-6) - 0.8)
        + 3 * (c.get("price_fit", 1.0) - 1)
        + 3 * (c.get("reputation", 0.5) - 0.5)
        - 2 * (1 - c.get("available", 1.0))
        + rng.gauss(0, 0.7)
    )
    return 1 / (1 + math.exp(-logit))


def simulate_brief(session: Session, rng: random.Random, brief: Brief) -> dict[str, int]:
    """The brief's owner acts on its recommendations; returns counts of each step."""
    business = brief.business
    recs = matching.recommend_creators(session, brief, limit=RECOMMENDATIONS_SHOWN)
    matching.log_shown(session, brief, recs, surface="seed")
    counts = {"shown": len(recs), "viewed": 0, "invited": 0, "proposed": 0, "hired": 0}
    if not recs:
        return counts
    best = max(r.relevance for r in recs)
    proposers = []
    for rank, rec in enumerate(recs, start=1):
        appeal = _appeal(rng, rec, best)
        if rng.random() > 0.95 / rank**0.7 or rng.random() > 0.3 + 0.7 * appeal:
            continue
        record_view(session, rec.offer, business, SEED_USER_AGENT)
        counts["viewed"] += 1
        if rng.random() > appeal or brief.status is not BriefStatus.OPEN:
            continue
        briefs.invite_creator(session, brief, rec.creator, business)
        counts["invited"] += 1
        willing = 0.8 if rec.components.get("available", 1.0) else 0.1
        if rng.random() > willing or briefs.find_proposal(session, brief.id, rec.creator.id):
            continue
        price = rng.randint(brief.budget_min_minor // 100, brief.budget_max_minor // 100) * 100
        proposal = briefs.submit_proposal(
            session,
            brief,
            rec.creator,
            briefs.ProposalInput(
                cover_letter="Thanks for the invitation: this is right up my street, and I "
                "can start this week.",
                price_minor=max(price, 100),
                delivery_days=rng.randint(3, 30),
            ),
        )
        counts["proposed"] += 1
        proposers.append((appeal, proposal))
    if proposers and rng.random() < 0.5:
        briefs.accept_proposal(session, max(proposers, key=lambda p: p[0])[1], business)
        counts["hired"] += 1
    return counts


def seed_outcomes(
    session: Session, rng: random.Random, businesses: Sequence[User], briefs_: Sequence[Brief]
) -> dict[str, int]:
    """Past work, then every open brief's owner acts on its recommendations."""
    totals = {"past contracts": past_work(session, rng, businesses)}
    session.flush()
    index.rebuild(session)  # the recommendations below read the real index
    for brief in briefs_:
        if brief.status is BriefStatus.OPEN:
            for step, n in simulate_brief(session, rng, brief).items():
                totals[f"recommendations {step}"] = totals.get(f"recommendations {step}", 0) + n
    return totals

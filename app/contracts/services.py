"""Creating contracts: from an accepted proposal, or from ordering an offer's package.

Both paths produce the same Contract; the payments domain then adds milestones to fund.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.briefs.models import Proposal
from app.contracts.models import Contract
from app.contracts.states import CONTRACT
from app.errors import PermissionDenied, ValidationFailed
from app.offers.models import Offer, OfferStatus, PackageTier
from app.payments.milestones import create_for_contract as create_milestones


def _open(session: Session, *, actor_id: int, origin: dict[str, Any], **columns: Any) -> Contract:
    """Add the contract, its pending milestones and the "created" audit row (``origin``: where
    its terms came from)."""
    contract = Contract(**columns)
    session.add(contract)
    session.flush()
    create_milestones(session, contract)
    CONTRACT.record(session, contract, "created", actor_id=actor_id, **origin)
    return contract


def _check_buyer(offer: Offer, business: User) -> None:
    if not business.is_business:
        raise PermissionDenied("Only business accounts can order.")
    if offer.creator_id == business.id:
        raise PermissionDenied("You cannot order your own offer.")


def create_from_proposal(session: Session, proposal: Proposal, *, actor: User) -> Contract:
    """Contract for an accepted proposal (the briefs service checks the acceptance rules)."""
    brief = proposal.brief
    return _open(
        session,
        actor_id=actor.id,
        origin={"proposal_id": proposal.id},
        business_id=brief.business_id,
        creator_id=proposal.creator_id,
        brief_id=brief.id,
        proposal_id=proposal.id,
        title=brief.title,
        scope=brief.description,
        total_minor=proposal.price_minor,
        currency=proposal.currency,
        delivery_days=proposal.delivery_days,
    )


def create_from_package(session: Session, offer: Offer, tier: str, *, business: User) -> Contract:
    """Order one package of a published service offer.

    Raises PermissionDenied (not a business, or ordering from oneself), ValidationFailed
    (offer not orderable, unknown package).
    """
    _check_buyer(offer, business)
    if offer.status is not OfferStatus.PUBLISHED:
        raise ValidationFailed({"offer": ["This offer is not available."]})
    package = next((p for p in offer.packages if p.tier == tier), None)
    if package is None:
        raise ValidationFailed({"tier": [f"This offer has no {tier!r} package."]})
    return _open(
        session,
        actor_id=business.id,
        origin={"offer_id": offer.id, "tier": tier},
        business_id=business.id,
        creator_id=offer.creator_id,
        offer_id=offer.id,
        package_tier=PackageTier(tier).value,
        title=f"{offer.title} ({PackageTier(tier).value})",
        scope=package.includes or offer.description,
        total_minor=package.price_minor,
        currency=offer.currency,
        delivery_days=package.delivery_days,
    )


def create_from_terms(
    session: Session,
    offer: Offer,
    *,
    business: User,
    title: str,
    scope: str,
    total_minor: int,
    delivery_days: int,
    origin: dict[str, Any],
) -> Contract:
    """Contract on agreed terms for an offer: a negotiated price, an influencer deliverable.

    The caller (negotiation, campaigns) has checked the terms and who agreed to them; this adds
    the contract, its single pending milestone and the audit row (``origin`` says where the
    terms came from, e.g. {"negotiation_id": 7}). Raises PermissionDenied (ordering from
    oneself, not a business).
    """
    _check_buyer(offer, business)
    return _open(
        session,
        actor_id=business.id,
        origin={"offer_id": offer.id, **origin},
        business_id=business.id,
        creator_id=offer.creator_id,
        offer_id=offer.id,
        title=title[:120],
        scope=scope,
        total_minor=total_minor,
        currency=offer.currency,
        delivery_days=delivery_days,
    )

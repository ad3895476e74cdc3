"""Creator payouts through Stripe Connect: onboarding and readiness, and the milestone as a
payable kind. The transfer itself is the one settlement path's (app.settlement): a Transfer
from the platform to the creator's connected account with ``source_transaction`` = the
milestone's charge and the idempotency key ``milestone-<id>-transfer``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import countries, events, settlement
from app.accounts.models import User
from app.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from app.payments import ledger
from app.payments.gateway import AccountInfo, PaymentGateway
from app.payments.models import ConnectedAccount, Milestone, MilestoneState
from app.payments.states import MILESTONE, lock_milestone
from app.settlement import PayoutBlocked
from app.settlement.models import Chargeback, Payout

__all__ = ["MilestonePayouts", "PayoutBlocked", "pay_out", "refresh_account", "start_onboarding"]


@dataclass(frozen=True)
class OnboardingLink:
    account_id: str
    url: str


def start_onboarding(
    session: Session,
    gateway: PaymentGateway,
    *,
    creator: User,
    refresh_url: str,
    return_url: str,
    country: str | None = None,
) -> OnboardingLink:
    """Create (once) the creator's Express connected account and a fresh onboarding link.

    Raises PermissionDenied (not a creator), GatewayError.
    """
    if not creator.is_creator:
        raise PermissionDenied("Only creators receive payouts.")
    if country is not None and country not in countries.STRIPE_CONNECT_COUNTRIES:
        raise ValidationFailed(
            {"country": ["Stripe cannot pay out to this country; choose one from the list."]}
        )
    account = session.scalars(
        select(ConnectedAccount).where(ConnectedAccount.user_id == creator.id).with_for_update()
    ).one_or_none()
    if account is None:
        profile_country = creator.profile.country if creator.profile else None
        if profile_country not in countries.STRIPE_CONNECT_COUNTRIES:
            profile_country = None  # Stripe would refuse it: its default (ours) applies
        info = gateway.create_account(
            email=creator.email,
            country=country or profile_country,
            metadata={"user_id": str(creator.id)},
            idempotency_key=f"user-{creator.id}-connected-account",
        )
        account = ConnectedAccount(user_id=creator.id, stripe_account_id=info.id)
        session.add(account)
        _apply(account, info)
        session.flush()
    url = gateway.create_account_link(
        account.stripe_account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        # Links are single-use and harmless to mint twice: each request gets its own key (a
        # per-second key replayed the used link when refresh_url came back within a second).
        idempotency_key=f"user-{creator.id}-account-link-{uuid.uuid4().hex}",
    )
    return OnboardingLink(account_id=account.stripe_account_id, url=url)


def _apply(account: ConnectedAccount, info: AccountInfo) -> None:
    account.payouts_enabled = info.payouts_enabled
    account.details_submitted = info.details_submitted
    account.transfers_active = info.transfers_active
    account.currently_due = list(info.currently_due)
    account.past_due = list(info.past_due)
    account.disabled_reason = (info.disabled_reason or None) and info.disabled_reason[:64]


def dashboard_link(session: Session, gateway: PaymentGateway, *, creator: User) -> str:
    """A fresh link to the creator's Express dashboard. Raises Conflict (no onboarded account),
    GatewayError."""
    account = session.get(ConnectedAccount, creator.id)
    if account is None or not account.details_submitted:
        raise Conflict("Finish setting up payouts first.")
    return gateway.create_login_link(account.stripe_account_id)


def refresh_account(
    session: Session, gateway: PaymentGateway, stripe_account_id: str
) -> ConnectedAccount | None:
    """Re-fetch a connected account's readiness (account.updated, return_url); None if unknown.

    When the account becomes ready, waiting transfer timers of its creator are made due now.
    """
    account = session.scalars(
        select(ConnectedAccount)
        .where(ConnectedAccount.stripe_account_id == stripe_account_id)
        .with_for_update()
    ).one_or_none()
    if account is None:
        return None
    was_ready = account.ready
    _apply(account, gateway.retrieve_account(stripe_account_id))
    if account.ready and not was_ready:
        settlement.make_due_for_creator(session, account.user_id)
    session.flush()
    return account


class MilestonePayouts:
    """The milestone as a payable kind of the one settlement path (app.settlement)."""

    subject_type = "milestone"

    def lock(self, session: Session, subject_id: int) -> Milestone:
        return lock_milestone(session, subject_id)

    def hold_reason(self, session: Session, milestone: Milestone) -> str | None:
        if milestone.state == MilestoneState.DISPUTED:
            return "The payment is disputed; the payout waits for the decision."
        if milestone.state != MilestoneState.RELEASED:
            return f"The milestone is {milestone.state}."
        return None

    def paid(self, session: Session, milestone: Milestone, payout: Payout) -> None:
        MILESTONE.move(
            session, milestone, "pay_out", actor_id=None, transfer=payout.stripe_transfer_id
        )
        milestone.paid_out_at = payout.paid_at

    # -- chargebacks (app.settlement.chargebacks) ----------------------------------------
    def find_by_charge(self, session: Session, charge_id: str) -> int | None:
        return session.scalar(select(Milestone.id).where(Milestone.charge_id == charge_id))

    def chargeback_opened(
        self, session: Session, milestone: Milestone, chargeback: Chargeback
    ) -> str:
        """Frozen (disputed); moderators get a case (app.disputes subscribes)."""
        state_before = str(milestone.state)
        MILESTONE.move(
            session,
            milestone,
            "dispute",
            actor_id=None,
            idempotent=True,
            stripe_dispute=chargeback.stripe_dispute_id,
        )
        events.publish(
            session,
            "milestone.chargeback",
            milestone,
            stripe_dispute_id=chargeback.stripe_dispute_id,
            state_before=state_before,
        )
        return state_before

    def chargeback_won(
        self, session: Session, milestone: Milestone, chargeback: Chargeback
    ) -> None:
        """The bank gave the money back: the case closes and the milestone goes back where it
        was (app.disputes subscribes: it knows whether a party's own dispute is still open)."""
        events.publish(
            session,
            "milestone.chargeback_won",
            milestone,
            stripe_dispute_id=chargeback.stripe_dispute_id,
            state_before=chargeback.state_before,
        )

    def chargeback_lost(
        self,
        session: Session,
        milestone: Milestone,
        chargeback: Chargeback,
        payout: Payout | None,
    ) -> list[tuple[str, int]]:
        """The business keeps its money: the milestone ends refunded (by the bank). Money still
        in escrow covers the withdrawal; a released share came back through the payout."""
        lines: list[tuple[str, int]] = []
        if not milestone.released_minor:
            held = milestone.funded_minor - milestone.refunded_minor
            lines.append((ledger.escrow(milestone.id), -held))
        if milestone.state != MilestoneState.REFUNDED:
            MILESTONE.move(
                session,
                milestone,
                "refund",
                actor_id=None,
                reason="chargeback lost",
                stripe_dispute=chargeback.stripe_dispute_id,
            )
        milestone.refunded_minor = milestone.funded_minor
        return lines


def pay_out(session: Session, gateway: PaymentGateway, milestone_id: int) -> Payout:
    """Pay a released, cleared milestone out now (what the payout job does when it is due).

    Returns its payout (unchanged if already paid). Raises InvalidTransition (not released:
    refunded, disputed...) and whatever ``settlement.pay_out`` raises.
    """
    milestone = lock_milestone(session, milestone_id)
    if milestone.state not in (MilestoneState.RELEASED, MilestoneState.PAID_OUT):
        raise InvalidTransition(f"Cannot pay out a milestone that is {milestone.state}.")
    return settlement.pay_out_subject(session, gateway, "milestone", milestone.id)

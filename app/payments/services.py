"""The payments service API in one place (for views and the JSON API).

Every service takes a SQLAlchemy Session, never commits, and raises typed errors from
app.errors (plus GatewayError/CardDeclined from app.payments.gateway). Stripe-calling services
take a PaymentGateway (``gateway_for(app)``).
"""

from __future__ import annotations

from app.payments.delivery import accept, auto_accept, deliver, release, request_changes
from app.payments.fees import Terms, terms_for, terms_for_score
from app.payments.funding import FundingIntent, cancel, confirm_funding, fund
from app.payments.funding import start as start_funding
from app.payments.gateway import CardDeclined, GatewayError, PaymentGateway, gateway_for
from app.payments.milestones import MilestonePlan, create_for_contract, milestones_of, split
from app.payments.payouts import (
    OnboardingLink,
    PayoutBlocked,
    dashboard_link,
    pay_out,
    refresh_account,
    start_onboarding,
)
from app.payments.refunds import refund, request_refund
from app.payments.reports import Earnings, PaymentRow, earnings, payment_history

__all__ = [
    "CardDeclined",
    "Earnings",
    "FundingIntent",
    "GatewayError",
    "MilestonePlan",
    "OnboardingLink",
    "PaymentGateway",
    "PaymentRow",
    "PayoutBlocked",
    "Terms",
    "accept",
    "auto_accept",
    "cancel",
    "confirm_funding",
    "create_for_contract",
    "dashboard_link",
    "deliver",
    "earnings",
    "fund",
    "gateway_for",
    "milestones_of",
    "pay_out",
    "payment_history",
    "request_refund",
    "refresh_account",
    "refund",
    "release",
    "request_changes",
    "split",
    "start_funding",
    "start_onboarding",
    "terms_for",
    "terms_for_score",
]

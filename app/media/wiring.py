"""Start-up registration of stock media with the kernel (called by create_app)."""

from __future__ import annotations

from app import settlement
from app.media import licensing, payouts, processing
from app.payments import purchases


def register() -> None:
    processing.register()
    settlement.register(payouts.LicensePayouts())
    purchases.register(
        "media_license", licensing.confirm_from_webhook, licensing.landing, licensing.paid_charges
    )

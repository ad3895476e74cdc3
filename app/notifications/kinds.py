"""Every kind of notification, with the label people see in their mail preferences."""

from __future__ import annotations

KINDS: dict[str, str] = {
    "order_placed": "A business ordered from you",
    "order_funded": "An order or milestone was funded",
    "invitation": "A business invited you to a brief",
    "proposal": "A creator proposed on your brief",
    "proposal_accepted": "Your proposal was accepted",
    "delivery": "Work was delivered for your review",
    "changes_requested": "Changes were requested on your work",
    "accepted": "Your work was accepted",
    "refund_requested": "The business asks for a refund",
    "refunded": "A payment was refunded to you",
    "auto_accept_soon": "A delivery will be accepted automatically soon",
    "payout_sent": "A payout was sent",
    "payout_held": "A payout is on hold",
    "dispute_opened": "A dispute was opened",
    "dispute_answered": "A dispute was answered",
    "dispute_decided": "A dispute was decided",
    "review_received": "You received a review",
    "counter_offer": "A new offer or counter-offer in a negotiation",
    "contest_entry": "A creator entered your contest",
    "contest_finalist": "Your contest entry is a finalist",
    "contest_winner": "Your contest entry won",
    "licence_sold": "A licence of your media was sold",
    "media_approved": "Your media was approved",
    "media_rejected": "Your media was rejected",
    "campaign_draft": "A campaign draft waits for your approval",
    "campaign_approved": "Your campaign draft was approved",
    "pool_invitation": "A demand pool matches a brief or interest of yours",
}

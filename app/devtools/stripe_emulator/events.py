"""Events for the Connect objects, delivered through localstripe's webhook sender.

Reusing localstripe's ``Event`` class keeps one store namespace ("event:<id>"), so the new
events are served by localstripe's own GET /v1/events/{id} and GET /v1/events, and reusing its
``schedule_webhook`` keeps one signing scheme: ``Stripe-Signature: t=<created>,v1=<HMAC-SHA256
of "<created>.<payload>" keyed with the endpoint secret>``, which is what
``stripe.Webhook.construct_event`` verifies.
"""

from __future__ import annotations

from typing import Any

from localstripe.resources import Event, StripeObject

from . import webhooks
from .context import current_request


def _request_block() -> dict[str, Any]:
    info = current_request.get()
    if info is None:
        return {"id": None, "idempotency_key": None}
    return {"id": info.id, "idempotency_key": info.idempotency_key}


def _pending_webhooks(event: Event) -> int:
    return len(webhooks.endpoints_for(event))


class EmulatorEvent(Event):
    """An event shaped like Stripe's (fixture "event"), plus ``account`` for Connect events."""

    def __init__(self, type: str, data_object: dict[str, Any], account: str | None = None) -> None:
        StripeObject.__init__(self)
        self.type = type
        self.data = {"object": data_object}
        info = current_request.get()
        self.api_version = info.stripe_version if info else None
        self.request = _request_block()
        if account is not None:
            # Real Stripe sets `account` only on events that happen on a connected account.
            self.account = account
        self.pending_webhooks = _pending_webhooks(self)


def emit(type: str, data_object: dict[str, Any], account: str | None = None) -> EmulatorEvent:
    """Record an event and schedule its signed delivery to every registered webhook."""
    event = EmulatorEvent(type, data_object, account)
    webhooks.schedule(event)
    return event


def patch_localstripe_events() -> None:
    """Give localstripe's own events the fields real events carry (pending_webhooks, request).

    Class-level defaults cover events restored from an older state file; the wrapped
    constructor fills the real values for new ones.
    """
    if getattr(Event, "_emulator_patched", False):
        return
    original_init = Event.__init__

    def _patched_init(self: Event, type: str, data: Any) -> None:
        original_init(self, type, data)
        self.pending_webhooks = _pending_webhooks(self)
        self.request = _request_block()

    Event.__init__ = _patched_init
    Event.pending_webhooks = 0
    Event.request = {"id": None, "idempotency_key": None}
    Event._emulator_patched = True

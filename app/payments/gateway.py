"""PaymentGateway: what the payments services need from Stripe, and the Stripe implementation.

Every write carries an idempotency key derived from our own ids, so a retry (by the SDK, a job
or a replayed request) can never charge, pay or refund twice. StripeGateway uses the official
SDK over HTTP: STRIPE_API_BASE points it at the local emulator; without it, at Stripe itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import stripe
from flask import Flask, current_app

from app.errors import DomainError


class GatewayError(DomainError):
    """Stripe refused or could not be reached. ``retryable``: try again with the same key."""

    status = 502
    code = "payment_provider_error"

    def __init__(self, message: str, *, retryable: bool = False, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retryable = retryable


class CardDeclined(GatewayError):
    status = 402
    code = "card_declined"


class OffSessionDeclined(CardDeclined):
    """An off-session charge Stripe declined: ``decline_code`` ``authentication_required``
    (the bank wants the customer present) or another decline. The PaymentIntent exists (left
    in requires_payment_method) and can be confirmed on-session with its client secret."""

    code = "off_session_declined"

    def __init__(self, message: str, *, decline_code: str, payment_intent_id: str | None) -> None:
        super().__init__(message, decline_code=decline_code)
        self.decline_code = decline_code
        self.payment_intent_id = payment_intent_id


@dataclass(frozen=True)
class SetupIntentInfo:
    id: str
    status: str
    client_secret: str | None
    customer: str | None
    payment_method: str | None
    metadata: dict[str, str]
    last_error: str | None = None


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str
    amount: int
    currency: str  # upper case
    client_secret: str | None
    charge_id: str | None
    metadata: dict[str, str]
    # Why the last attempt failed (a decline, a failed 3-D Secure), as Stripe words it.
    last_error: str | None = None


@dataclass(frozen=True)
class AccountInfo:
    id: str
    payouts_enabled: bool
    details_submitted: bool
    transfers_active: bool
    currently_due: tuple[str, ...] = ()
    past_due: tuple[str, ...] = ()
    disabled_reason: str | None = None


@dataclass(frozen=True)
class ChargeInfo:
    id: str
    payment_intent: str | None
    amount: int
    amount_refunded: int
    currency: str
    disputed: bool


@dataclass(frozen=True)
class DisputeInfo:
    """A Stripe dispute (chargeback), re-fetched: what the webhook payload says is not trusted."""

    id: str
    charge_id: str
    amount: int
    currency: str  # upper case
    status: str  # needs_response, under_review, won, lost (warning_* for inquiries)
    reason: str
    fee: int  # the dispute fee Stripe took (from the withdrawal's balance transaction)
    livemode: bool


@dataclass(frozen=True)
class TransferInfo:
    id: str
    amount: int
    currency: str
    destination: str
    metadata: dict[str, str]
    amount_reversed: int = 0


@dataclass(frozen=True)
class Settlement:
    """A charge's balance transaction: the currency the platform received it in."""

    currency: str  # upper case
    amount: int
    fee: int
    exchange_rate: float | None


class PaymentGateway(Protocol):
    publishable_key: str

    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> PaymentIntentInfo: ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo: ...

    def create_customer(
        self, *, email: str, metadata: dict[str, str], idempotency_key: str
    ) -> str: ...

    def create_setup_intent(
        self, *, customer: str, metadata: dict[str, str], idempotency_key: str
    ) -> SetupIntentInfo: ...

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo: ...

    def charge_off_session(
        self,
        *,
        amount: int,
        currency: str,
        customer: str,
        payment_method: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> PaymentIntentInfo: ...

    def cancel_payment_intent(
        self, payment_intent_id: str, *, idempotency_key: str
    ) -> PaymentIntentInfo: ...

    def retrieve_charge(self, charge_id: str) -> ChargeInfo: ...

    def create_account(
        self, *, email: str, country: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> AccountInfo: ...

    def retrieve_account(self, account_id: str) -> AccountInfo: ...

    def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> str: ...

    def create_login_link(self, account_id: str) -> str: ...

    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> str: ...

    def create_refund(
        self, *, payment_intent: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> str: ...

    def create_transfer_reversal(
        self, transfer_id: str, *, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> str: ...

    def retrieve_dispute(self, dispute_id: str) -> DisputeInfo: ...

    def submit_dispute_evidence(
        self, dispute_id: str, *, text: str, idempotency_key: str
    ) -> DisputeInfo: ...

    def list_transfers(self, *, transfer_group: str, destination: str) -> list[TransferInfo]: ...

    def retrieve_transfer(self, transfer_id: str) -> TransferInfo: ...

    def list_transfer_reversals(self, transfer_id: str) -> list[tuple[str, int]]: ...

    def charge_settlement(self, charge_id: str) -> Settlement: ...


def _error_message(error: Any) -> str | None:
    if not error:
        return None
    message = getattr(error, "message", None)
    if message is None and isinstance(error, dict):
        message = error.get("message")
    return str(message)[:300] if message else "The last payment attempt failed."


def _charge_id(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value.id)


class StripeGateway:
    """The official SDK, one StripeClient per app (STRIPE_SECRET_KEY, STRIPE_API_BASE)."""

    def __init__(
        self,
        api_key: str,
        *,
        publishable_key: str,
        api_base: str | None = None,
        max_network_retries: int = 2,
        key_prefix: str = "",
    ) -> None:
        options: dict[str, Any] = {"max_network_retries": max_network_retries}
        if api_base:
            options["base_addresses"] = {"api": api_base, "connect": api_base}
        self.client = stripe.StripeClient(api_key, **options)
        self.publishable_key = publishable_key
        # Namespaces our idempotency keys (STRIPE_IDEMPOTENCY_PREFIX): a database that is reset
        # while the Stripe account keeps its 24h key memory would otherwise reuse the keys.
        self.key_prefix = key_prefix

    # -- error mapping ------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        options = kwargs.get("options")
        if options and "idempotency_key" in options:
            kwargs["options"] = {
                **options,
                "idempotency_key": self.key_prefix + options["idempotency_key"],
            }
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "The card was declined.") from exc
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayError(f"Stripe unreachable: {exc}", retryable=True) from exc
        except stripe.InvalidRequestError as exc:
            raise GatewayError(f"Stripe refused the request: {exc.user_message or exc}") from exc
        except stripe.StripeError as exc:
            status = getattr(exc, "http_status", None) or 500
            retryable = status >= 500 or status == 409
            raise GatewayError(f"Stripe error: {exc}", retryable=retryable) from exc

    @staticmethod
    def _intent(pi: Any) -> PaymentIntentInfo:
        return PaymentIntentInfo(
            id=pi.id,
            status=pi.status,
            amount=int(pi.amount),
            currency=str(pi.currency).upper(),
            client_secret=getattr(pi, "client_secret", None),
            charge_id=_charge_id(getattr(pi, "latest_charge", None)),
            metadata={k: str(v) for k, v in (pi.metadata.to_dict() if pi.metadata else {}).items()},
            last_error=_error_message(getattr(pi, "last_payment_error", None)),
        )

    @staticmethod
    def _account(account: Any) -> AccountInfo:
        capabilities = account.capabilities.to_dict() if account.capabilities else {}
        raw = getattr(account, "requirements", None)
        requirements = raw.to_dict() if raw else {}
        return AccountInfo(
            id=account.id,
            payouts_enabled=bool(account.payouts_enabled),
            details_submitted=bool(account.details_submitted),
            transfers_active=capabilities.get("transfers") == "active",
            currently_due=tuple(requirements.get("currently_due") or ()),
            past_due=tuple(requirements.get("past_due") or ()),
            disabled_reason=requirements.get("disabled_reason") or None,
        )

    # -- payments -----------------------------------------------------------------------
    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> PaymentIntentInfo:
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "transfer_group": transfer_group,
            "metadata": metadata,
            "description": description,
            "payment_method_types": ["card"],
        }
        pi = self._call(
            self.client.v1.payment_intents.create,
            params,
            options={"idempotency_key": idempotency_key},
        )
        return self._intent(pi)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        return self._intent(self._call(self.client.v1.payment_intents.retrieve, payment_intent_id))

    # -- saved cards: SetupIntent now, off-session PaymentIntent later ----------------------
    def create_customer(self, *, email: str, metadata: dict[str, str], idempotency_key: str) -> str:
        customer = self._call(
            self.client.v1.customers.create,
            {"email": email, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return str(customer.id)

    @staticmethod
    def _setup(intent: Any) -> SetupIntentInfo:
        method = getattr(intent, "payment_method", None)
        return SetupIntentInfo(
            id=intent.id,
            status=intent.status,
            client_secret=getattr(intent, "client_secret", None),
            customer=getattr(intent, "customer", None),
            payment_method=method if method is None or isinstance(method, str) else method.id,
            metadata={
                k: str(v) for k, v in (intent.metadata.to_dict() if intent.metadata else {}).items()
            },
            last_error=_error_message(getattr(intent, "last_setup_error", None)),
        )

    def create_setup_intent(
        self, *, customer: str, metadata: dict[str, str], idempotency_key: str
    ) -> SetupIntentInfo:
        """A SetupIntent that saves a card of ``customer`` for off-session charges later
        (``usage=off_session``: Stripe.js runs 3-D Secure now, while the customer is here)."""
        intent = self._call(
            self.client.v1.setup_intents.create,
            {
                "customer": customer,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        return self._setup(intent)

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo:
        return self._setup(self._call(self.client.v1.setup_intents.retrieve, setup_intent_id))

    def charge_off_session(
        self,
        *,
        amount: int,
        currency: str,
        customer: str,
        payment_method: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> PaymentIntentInfo:
        """Charge a saved card with nobody present (``off_session=true, confirm=true``).

        Raises OffSessionDeclined (with the PaymentIntent id, to complete it on-session) when
        Stripe declines, ``authentication_required`` included; GatewayError otherwise.
        """
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
            "transfer_group": transfer_group,
            "metadata": metadata,
            "description": description,
            "payment_method_types": ["card"],
        }
        try:
            pi = self._call(
                self.client.v1.payment_intents.create,
                params,
                options={"idempotency_key": idempotency_key},
            )
        except CardDeclined as exc:
            cause = exc.__cause__
            error = getattr(cause, "error", None)
            intent = getattr(error, "payment_intent", None)
            intent_id = (
                intent.get("id") if isinstance(intent, dict) else getattr(intent, "id", None)
            )
            decline = getattr(error, "decline_code", None) or getattr(error, "code", None)
            raise OffSessionDeclined(
                exc.message,
                decline_code=str(decline or "card_declined"),
                payment_intent_id=intent_id,
            ) from exc
        return self._intent(pi)

    def cancel_payment_intent(
        self, payment_intent_id: str, *, idempotency_key: str
    ) -> PaymentIntentInfo:
        pi = self._call(
            self.client.v1.payment_intents.cancel,
            payment_intent_id,
            options={"idempotency_key": idempotency_key},
        )
        return self._intent(pi)

    def retrieve_charge(self, charge_id: str) -> ChargeInfo:
        charge = self._call(self.client.v1.charges.retrieve, charge_id)
        return ChargeInfo(
            id=charge.id,
            payment_intent=getattr(charge, "payment_intent", None),
            amount=int(charge.amount),
            amount_refunded=int(getattr(charge, "amount_refunded", 0) or 0),
            currency=str(charge.currency).upper(),
            disputed=bool(getattr(charge, "disputed", False)),
        )

    # -- connect ------------------------------------------------------------------------
    def create_account(
        self, *, email: str, country: str | None, metadata: dict[str, str], idempotency_key: str
    ) -> AccountInfo:
        params: dict[str, Any] = {
            "type": "express",
            "email": email,
            "metadata": metadata,
            "capabilities": {"transfers": {"requested": True}},
        }
        if country:
            params["country"] = country
        account = self._call(
            self.client.v1.accounts.create, params, options={"idempotency_key": idempotency_key}
        )
        return self._account(account)

    def retrieve_account(self, account_id: str) -> AccountInfo:
        return self._account(self._call(self.client.v1.accounts.retrieve, account_id))

    def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> str:
        link = self._call(
            self.client.v1.account_links.create,
            {
                "account": account_id,
                "type": "account_onboarding",
                "refresh_url": refresh_url,
                "return_url": return_url,
            },
            options={"idempotency_key": idempotency_key},
        )
        return str(link.url)

    def create_login_link(self, account_id: str) -> str:
        """A single-use link to the creator's Express dashboard (not stored: it expires)."""
        link = self._call(self.client.v1.accounts.login_links.create, account_id)
        return str(link.url)

    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> str:
        transfer = self._call(
            self.client.v1.transfers.create,
            {
                "amount": amount,
                "currency": currency.lower(),
                "destination": destination,
                "source_transaction": source_transaction,
                "transfer_group": transfer_group,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        return str(transfer.id)

    def create_refund(
        self, *, payment_intent: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        refund = self._call(
            self.client.v1.refunds.create,
            {"payment_intent": payment_intent, "amount": amount, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return str(refund.id)

    def create_transfer_reversal(
        self, transfer_id: str, *, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        reversal = self._call(
            self.client.v1.transfers.reversals.create,
            transfer_id,
            {"amount": amount, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return str(reversal.id)

    # -- disputes -----------------------------------------------------------------------
    def retrieve_dispute(self, dispute_id: str) -> DisputeInfo:
        return _dispute(self._call(self.client.v1.disputes.retrieve, dispute_id))

    def submit_dispute_evidence(
        self, dispute_id: str, *, text: str, idempotency_key: str
    ) -> DisputeInfo:
        dispute = self._call(
            self.client.v1.disputes.update,
            dispute_id,
            {"evidence": {"uncategorized_text": text}, "submit": True},
            options={"idempotency_key": idempotency_key},
        )
        return _dispute(dispute)

    def retrieve_transfer(self, transfer_id: str) -> TransferInfo:
        return _transfer(self._call(self.client.v1.transfers.retrieve, transfer_id))

    def list_transfer_reversals(self, transfer_id: str) -> list[tuple[str, int]]:
        """(id, amount) of a transfer's reversals, newest first."""
        page = self._call(self.client.v1.transfers.reversals.list, transfer_id, {"limit": 100})
        return [(str(r.id), int(r.amount)) for r in page.data]

    def charge_settlement(self, charge_id: str) -> Settlement:
        """The balance transaction of a charge (Stripe may have converted it to the platform's
        settlement currency; a transfer from it must then be in that currency)."""
        charge = self._call(self.client.v1.charges.retrieve, charge_id)
        txn_id = charge.balance_transaction
        if txn_id is None:  # not captured yet: nothing settled, so nothing to transfer from
            raise GatewayError(f"Charge {charge_id} has not settled yet.", retryable=True)
        if not isinstance(txn_id, str):
            txn_id = txn_id.id
        txn = self._call(self.client.v1.balance_transactions.retrieve, txn_id)
        rate = getattr(txn, "exchange_rate", None)
        return Settlement(
            currency=str(txn.currency).upper(),
            amount=int(txn.amount),
            fee=int(txn.fee or 0),
            exchange_rate=float(rate) if rate is not None else None,
        )

    def list_transfers(self, *, transfer_group: str, destination: str) -> list[TransferInfo]:
        """Every transfer of ``transfer_group`` to ``destination`` (all pages)."""
        found: list[TransferInfo] = []
        params: dict[str, Any] = {
            "transfer_group": transfer_group,
            "destination": destination,
            "limit": 100,
        }
        while True:
            page = self._call(self.client.v1.transfers.list, params)
            found.extend(_transfer(transfer) for transfer in page.data)
            if not page.has_more or not page.data:
                return found
            params["starting_after"] = page.data[-1].id


def _transfer(transfer: Any) -> TransferInfo:
    metadata = transfer.metadata.to_dict() if transfer.metadata else {}
    return TransferInfo(
        id=transfer.id,
        amount=int(transfer.amount),
        currency=str(transfer.currency).upper(),
        destination=str(transfer.destination),
        metadata={k: str(v) for k, v in metadata.items()},
        amount_reversed=int(getattr(transfer, "amount_reversed", 0) or 0),
    )


def _dispute(dispute: Any) -> DisputeInfo:
    fee = 0
    for txn in getattr(dispute, "balance_transactions", None) or []:
        if int(getattr(txn, "amount", 0) or 0) < 0:
            fee += int(getattr(txn, "fee", 0) or 0)
    charge = dispute.charge if isinstance(dispute.charge, str) else dispute.charge.id
    return DisputeInfo(
        id=dispute.id,
        charge_id=str(charge),
        amount=int(dispute.amount),
        currency=str(dispute.currency).upper(),
        status=str(dispute.status),
        reason=str(getattr(dispute, "reason", "") or ""),
        fee=fee,
        livemode=bool(getattr(dispute, "livemode", False)),
    )


def gateway_for(app: Flask | None = None) -> PaymentGateway:
    """The app's gateway (one per app), built from its STRIPE_* settings."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    gateway = app.extensions.get("payment_gateway")
    if gateway is None:
        gateway = StripeGateway(
            app.config["STRIPE_SECRET_KEY"],
            publishable_key=app.config["STRIPE_PUBLISHABLE_KEY"],
            api_base=app.config.get("STRIPE_API_BASE"),
            max_network_retries=int(app.config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
            key_prefix=app.config.get("STRIPE_IDEMPOTENCY_PREFIX", ""),
        )
        app.extensions["payment_gateway"] = gateway
    return gateway

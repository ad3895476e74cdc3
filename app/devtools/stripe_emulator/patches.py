"""Small extensions of localstripe's payment objects needed by a Connect marketplace.

localstripe rejects any PaymentIntent parameter it does not model. Separate charges and
transfers need ``transfer_group`` on the PaymentIntent (copied onto its charge, as Stripe
does), and apps commonly send ``description`` and ``automatic_payment_methods``; these are
accepted and echoed back. Class-level defaults make the fields appear (as null) on objects
restored from older state files, because localstripe exports public class attributes too.
"""

from __future__ import annotations

from typing import Any

from localstripe.resources import (
    Charge,
    List,
    PaymentIntent,
    PaymentMethod,
    try_convert_to_bool,
)

from . import disputes, setup_intents
from .errors import invalid_param
from .strict import check_charge


def patch_list_order() -> None:
    """Lists newest first, as Stripe's do ("sorted, with the most recent first"; pagination
    with ``starting_after`` walks towards older objects). localstripe lists its store in
    insertion order, i.e. oldest first: a client reading the first page would miss every
    recent object once a long-running emulator holds more than a page of them."""
    if getattr(List, "_emulator_newest_first", False):
        return

    def ordered(self: List) -> list[Any]:
        # ``created`` has one-second resolution: within a second, later insertion is newer.
        indexed = list(enumerate(self._list))
        indexed.sort(key=lambda pair: (getattr(pair[1], "created", 0) or 0, pair[0]), reverse=True)
        return [item for _, item in indexed]

    def start(self: List, items: list[Any]) -> int:
        if self._starting_after is None:
            return 0
        for position, item in enumerate(items):
            if getattr(item, "id", None) == self._starting_after:
                return position + 1
        return 0

    def data(self: List) -> list[Any]:
        items = ordered(self)
        first = start(self, items)
        return [item._export() for item in items[first : first + self._limit]]

    def has_more(self: List) -> bool:
        items = ordered(self)
        return len(items) > self._limit + start(self, items)

    List.data = property(data)
    List.has_more = property(has_more)
    List._emulator_newest_first = True


def _check_optional_str(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise invalid_param(name, f"Invalid string: {value!r}")


def patch_payment_intents() -> None:
    if getattr(PaymentIntent, "_emulator_patched", False):
        return
    original_create = PaymentIntent._api_create.__func__
    original_create_charge = PaymentIntent._create_charge

    def _api_create(
        cls: type[PaymentIntent],
        /,
        transfer_group: str | None = None,
        description: str | None = None,
        automatic_payment_methods: dict[str, Any] | None = None,
        confirm: Any = None,
        off_session: Any = None,
        **data: Any,
    ) -> PaymentIntent:
        _check_optional_str("transfer_group", transfer_group)
        _check_optional_str("description", description)
        confirm = try_convert_to_bool(confirm)
        off_session = try_convert_to_bool(off_session)
        if off_session is not None and confirm is not True:
            raise invalid_param("off_session", "off_session requires confirm=true")
        check_charge(data.get("amount"), data.get("currency"))
        setup_intents.check_method_owner(data.get("customer"), data.get("payment_method"))
        # Create unconfirmed, set our fields, then confirm: the charge created on
        # confirmation must already see transfer_group.
        obj = original_create(cls, **data)
        obj.transfer_group = transfer_group
        obj.description = description
        if automatic_payment_methods is not None:
            enabled = try_convert_to_bool(automatic_payment_methods.get("enabled"))
            obj.automatic_payment_methods = {"enabled": bool(enabled)}
        if confirm and off_session:
            setup_intents.confirm_off_session(obj)
        elif confirm:
            obj._confirm(on_failure_now=obj._report_failure)
        return obj

    def _create_charge(self: PaymentIntent, on_failure_now: Any) -> None:
        # Stripe copies the PaymentIntent's transfer_group onto its charge.
        original_create_charge(self, on_failure_now)
        charge = self.latest_charge
        if charge is not None:
            charge.transfer_group = getattr(self, "transfer_group", None)
            method = PaymentMethod._api_retrieve(charge.payment_method)
            if charge.status == "succeeded" and getattr(method, "_card_number", None) == (
                disputes.DISPUTE_CARD
            ):
                disputes.open_later(charge)

    original_update = PaymentIntent._api_update.__func__

    def _api_update(cls: type[PaymentIntent], id: str, **data: Any) -> PaymentIntent:
        # After a declined charge Stripe lets the customer attach another payment method and
        # confirm again (status goes back to requires_confirmation); localstripe keeps the
        # failed charge as latest_charge and refuses the second confirmation.
        obj = original_update(cls, id, **data)
        charge = obj.latest_charge
        if data.get("payment_method") and charge is not None and charge.status == "failed":
            obj.latest_charge = None
        return obj

    original_charging_declined = PaymentMethod._charging_is_declined

    def _charging_is_declined(self: PaymentMethod) -> bool:
        # Stripe declines its "declined" test cards (4000000000000002 and the specific-reason
        # ones) when a PaymentIntent charges them; localstripe only refuses to attach them to a
        # customer, so a PaymentIntent confirmed with one would succeed.
        return bool(original_charging_declined(self)) or bool(
            self.type == "card" and self._attaching_is_declined()
        )

    original_test_article = PaymentMethod._try_get_canonical_test_article.__func__

    def _try_get_canonical_test_article(cls: type[PaymentMethod], id: str) -> Any:
        # Stripe's test payment method whose payment succeeds and is then disputed.
        if id == "pm_card_createDispute":
            card = {"number": disputes.DISPUTE_CARD, "exp_month": "12", "exp_year": "2030"}
            return PaymentMethod(type="card", card={**card, "cvc": "123"})
        return original_test_article(cls, id)

    PaymentMethod._try_get_canonical_test_article = classmethod(_try_get_canonical_test_article)
    PaymentMethod._charging_is_declined = _charging_is_declined
    original_export = PaymentIntent._export

    def _export(self: PaymentIntent, expand: Any = None) -> Any:
        # Stripe: ``latest_charge`` is an expandable field, the charge's id unless the request
        # expands it (localstripe always embedded the whole charge).
        obj = original_export(self, expand)
        wanted = any(str(path).split(".")[0] == "latest_charge" for path in expand or [])
        charge = obj.get("latest_charge")
        if isinstance(charge, dict) and not wanted:
            obj["latest_charge"] = charge["id"]
        return obj

    PaymentIntent._export = _export
    PaymentIntent._api_create = classmethod(_api_create)
    PaymentIntent._api_update = classmethod(_api_update)
    PaymentIntent._create_charge = _create_charge
    PaymentIntent.transfer_group = None
    PaymentIntent.description = None
    PaymentIntent.automatic_payment_methods = None
    Charge.transfer_group = None
    Charge.disputed = False
    PaymentIntent._emulator_patched = True

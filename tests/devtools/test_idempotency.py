"""Idempotency-Key behaviour and forced failures, through the SDK over HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
import stripe

from app.devtools.stripe_emulator import EmulatorProcess

from .conftest import API_KEY, make_client, new_key, onboarded_account, paid_charge


def _transfer_params(seller: str, charge_id: str, group: str, amount: int = 1_000) -> Any:
    return {
        "amount": amount,
        "currency": "eur",
        "destination": seller,
        "source_transaction": charge_id,
        "transfer_group": group,
    }


def _group_transfers(client: stripe.StripeClient, group: str) -> list[str]:
    return [t.id for t in client.v1.transfers.list({"transfer_group": group}).data]


@pytest.fixture()
def seller(client: stripe.StripeClient, emulator: EmulatorProcess) -> str:
    return onboarded_account(client, emulator)


def test_replay_returns_the_same_transfer_and_executes_once(
    client: stripe.StripeClient, seller: str
) -> None:
    group = "idem_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(client, 5_000)
    key = new_key()
    first = client.v1.transfers.create(
        _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
    )
    second = client.v1.transfers.create(
        _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
    )
    assert second.id == first.id
    assert second.to_dict() == first.to_dict()
    assert second.last_response is not None
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert _group_transfers(client, group) == [first.id]


def test_same_key_with_other_parameters_is_an_idempotency_error(
    client: stripe.StripeClient, seller: str
) -> None:
    group = "idem_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(client, 5_000)
    key = new_key()
    client.v1.transfers.create(
        _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
    )
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.transfers.create(
            _transfer_params(seller, charge_id, group, amount=2_000),
            options={"idempotency_key": key},
        )
    assert caught.value.http_status == 400
    assert "same parameters" in str(caught.value)
    # Same key on another endpoint is refused too.
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"email": "x@example.test"}, options={"idempotency_key": key})
    assert len(_group_transfers(client, group)) == 1


def test_localstripe_endpoints_are_idempotent_too(client: stripe.StripeClient) -> None:
    key = new_key()
    params: Any = {
        "amount": 1_234,
        "currency": "eur",
        "payment_method": "pm_card_visa",
        "confirm": True,
    }
    first = client.v1.payment_intents.create(params, options={"idempotency_key": key})
    second = client.v1.payment_intents.create(params, options={"idempotency_key": key})
    assert first.id == second.id


def test_validation_errors_are_not_remembered(client: stripe.StripeClient, seller: str) -> None:
    """Stripe saves no result when parameters fail validation: a corrected retry runs."""
    group = "idem_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(client, 1_000)
    key = new_key()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(
            _transfer_params(seller, charge_id, group, amount=1_001),
            options={"idempotency_key": key},
        )
    ok = client.v1.transfers.create(
        _transfer_params(seller, charge_id, group, amount=1_000),
        options={"idempotency_key": key},
    )
    assert _group_transfers(client, group) == [ok.id]


def test_forced_failure_then_retry_with_same_key_pays_once(
    client: stripe.StripeClient, emulator: EmulatorProcess, seller: str
) -> None:
    group = "retry_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(client, 5_000)
    key = new_key()
    emulator.fail_next_transfers(count=1, destination=seller)

    with pytest.raises(stripe.APIError) as caught:
        client.v1.transfers.create(
            _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
        )
    assert caught.value.http_status == 500
    assert _group_transfers(client, group) == []  # failed before anything was created

    paid = client.v1.transfers.create(
        _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
    )
    replay = client.v1.transfers.create(
        _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
    )
    assert replay.id == paid.id
    assert _group_transfers(client, group) == [paid.id]


def test_sdk_automatic_retries_absorb_a_forced_failure(
    emulator: EmulatorProcess, seller: str
) -> None:
    retrying = make_client(emulator.api_base, max_network_retries=2)
    group = "auto_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(retrying, 5_000)
    # The SDK retries 5xx itself, re-sending its generated Idempotency-Key.
    emulator.fail_next_transfers(count=2, mode="api_error")
    transfer = retrying.v1.transfers.create(_transfer_params(seller, charge_id, group))
    assert _group_transfers(retrying, group) == [transfer.id]


def test_rate_limit_failure_is_raised_and_creates_nothing(
    client: stripe.StripeClient, emulator: EmulatorProcess, seller: str
) -> None:
    group = "rl_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(client, 5_000)
    emulator.fail_next_transfers(count=1, mode="rate_limit")
    with pytest.raises(stripe.RateLimitError):
        client.v1.transfers.create(_transfer_params(seller, charge_id, group))
    assert _group_transfers(client, group) == []


def test_lost_response_then_retry_replays_instead_of_paying_twice(
    client: stripe.StripeClient, emulator: EmulatorProcess, seller: str
) -> None:
    group = "lost_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(client, 5_000)
    key = new_key()
    emulator.fail_next_transfers(count=1, destination=seller, mode="connection_lost")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.transfers.create(
            _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
        )
    executed = _group_transfers(client, group)
    assert len(executed) == 1  # it went through; only the answer was lost
    retried = client.v1.transfers.create(
        _transfer_params(seller, charge_id, group), options={"idempotency_key": key}
    )
    assert retried.id == executed[0]
    assert _group_transfers(client, group) == executed


def _raw_post(api_base: str, path: str, params: dict[str, str], key: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        api_base + path,
        data=urllib.parse.urlencode(params).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Idempotency-Key": key,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_concurrent_identical_requests_execute_once(
    client: stripe.StripeClient, emulator: EmulatorProcess, seller: str
) -> None:
    group = "race_" + uuid.uuid4().hex[:8]
    charge_id = paid_charge(client, 5_000)
    key = new_key()
    params = {
        "amount": "1000",
        "currency": "eur",
        "destination": seller,
        "source_transaction": charge_id,
        "transfer_group": group,
    }
    results: list[tuple[int, Any]] = []
    barrier = threading.Barrier(12)

    def post() -> None:
        barrier.wait()
        results.append(_raw_post(emulator.api_base, "/v1/transfers", params, key))

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = _group_transfers(client, group)
    assert len(created) == 1
    for status, body in results:
        # Either the stored transfer, or Stripe's 409 "request in progress" for the key.
        if status == 200:
            assert body["id"] == created[0]
        else:
            assert status == 409 and body["error"]["type"] == "idempotency_error"

"""State file handling: everything survives a restart; localstripe's temp file is untouched."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import stripe

from app.devtools.stripe_emulator import run_in_subprocess

from .conftest import make_client, new_key, onboarded_account, paid_charge, with_amount


def test_state_survives_restart(tmp_path: Path) -> None:
    localstripe_default = Path(tempfile.gettempdir()) / "localstripe.pickle"
    before = localstripe_default.stat().st_mtime_ns if localstripe_default.exists() else None
    state_file = tmp_path / "stripe-state.pickle"
    group = "persist_" + uuid.uuid4().hex[:8]
    key = new_key()

    with run_in_subprocess(state_file) as emu:
        client = make_client(emu.api_base)
        emu.register_webhook("http://127.0.0.1:9/hook", "whsec_x", webhook_id="app")
        seller = onboarded_account(client, emu)
        charge_id = paid_charge(client, 4_000, group)
        params: Any = {
            "amount": 1_500,
            "currency": "eur",
            "destination": seller,
            "source_transaction": charge_id,
            "transfer_group": group,
        }
        transfer = client.v1.transfers.create(params, options={"idempotency_key": key})
        reversal = client.v1.transfers.reversals.create(transfer.id, {"amount": 500})
    assert state_file.exists()

    with run_in_subprocess(state_file) as emu:
        client = make_client(emu.api_base)
        account = client.v1.accounts.retrieve(seller)
        assert account.charges_enabled is True
        restored = client.v1.transfers.retrieve(transfer.id)
        assert restored.amount_reversed == 500
        assert [r.id for r in restored.reversals.data] == [reversal.id]
        balance = client.v1.balance.retrieve(options={"stripe_account": seller})
        assert balance.available[0].amount == 1_000
        # The idempotency record came back too: a replay creates nothing new.
        replay = client.v1.transfers.create(params, options={"idempotency_key": key})
        assert replay.id == transfer.id
        assert [t.id for t in client.v1.transfers.list({"transfer_group": group}).data] == [
            transfer.id
        ]
        with pytest.raises(stripe.IdempotencyError):
            client.v1.transfers.create(with_amount(params, 1), options={"idempotency_key": key})
        assert client.v1.charges.retrieve(charge_id).transfer_group == group
        import urllib.request

        with urllib.request.urlopen(emu.api_base + "/_config/webhooks") as response:
            assert b"127.0.0.1:9/hook" in response.read()

    after = localstripe_default.stat().st_mtime_ns if localstripe_default.exists() else None
    assert after == before, "localstripe's shared temp state file must never be written"

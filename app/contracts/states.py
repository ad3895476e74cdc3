"""The contract lifecycle: active until every milestone is settled, then completed (or
cancelled when every milestone was cancelled before any money moved)."""

from __future__ import annotations

from app.contracts.models import ContractStatus as C
from app.workflow import StateMachine

CONTRACT = StateMachine(
    "contract",
    C,
    {
        "complete": ({C.ACTIVE}, C.COMPLETED),
        "cancel": ({C.ACTIVE}, C.CANCELLED),
    },
    field="status",
)

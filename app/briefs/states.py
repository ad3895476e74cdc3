"""The brief and proposal state machines (app.workflow shape).

Callers check permissions and hold the row's lock; the machines only know which moves are
legal. Every move writes an audit row in the same unit of work.
"""

from __future__ import annotations

from app.briefs.models import BriefStatus as B
from app.briefs.models import ProposalStatus as P
from app.workflow import StateMachine

BRIEF = StateMachine(
    "brief",
    B,
    {
        "publish": ({B.DRAFT}, B.OPEN),
        # open -> in_progress happens only by accepting a proposal (services.accept_proposal).
        "start": ({B.OPEN}, B.IN_PROGRESS),
        "close": ({B.OPEN, B.IN_PROGRESS}, B.CLOSED),
        "cancel": ({B.DRAFT, B.OPEN}, B.CANCELLED),
    },
    field="status",
    refusal="A {state} brief cannot become {target}.",
)

PROPOSAL = StateMachine(
    "proposal",
    P,
    {
        "shortlist": ({P.SUBMITTED}, P.SHORTLISTED),
        "decline": ({P.SUBMITTED, P.SHORTLISTED}, P.DECLINED),
        "accept": ({P.SUBMITTED, P.SHORTLISTED}, P.ACCEPTED),
        "withdraw": ({P.SUBMITTED, P.SHORTLISTED}, P.WITHDRAWN),
    },
    field="status",
    refusal="A {state} proposal cannot become {target}.",
)

# Briefs whose content the owner may still change.
EDITABLE_BRIEF_STATUSES = frozenset({B.DRAFT, B.OPEN})

"""Errors the briefs services raise on purpose (all map to problem+json / error pages)."""

from app.errors import Conflict


class DuplicateProposal(Conflict):
    code = "duplicate_proposal"


class BriefNotOpen(Conflict):
    code = "brief_not_open"

"""Import every model module so the metadata is complete (Alembic, tests)."""

from app.accounts import models as accounts  # noqa: F401
from app.audit import AuditEvent  # noqa: F401
from app.briefs import models as briefs  # noqa: F401
from app.contracts import models as contracts  # noqa: F401
from app.db import Base
from app.matching import models as matching  # noqa: F401
from app.offers import models as offers  # noqa: F401
from app.payments import models as payments  # noqa: F401

metadata = Base.metadata

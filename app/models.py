"""Import every model module so the metadata is complete (Alembic, tests)."""

from app.accounts import models as accounts  # noqa: F401
from app.audit import AuditEvent  # noqa: F401
from app.briefs import models as briefs  # noqa: F401
from app.campaigns import models as campaigns  # noqa: F401
from app.contests import models as contests  # noqa: F401
from app.contracts import models as contracts  # noqa: F401
from app.db import Base
from app.demand import models as demand  # noqa: F401
from app.disputes import models as disputes  # noqa: F401
from app.insights import models as insights  # noqa: F401
from app.matching import models as matching  # noqa: F401
from app.media import models as media  # noqa: F401
from app.messaging import models as messaging  # noqa: F401
from app.moderation import models as moderation  # noqa: F401
from app.negotiation import models as negotiation  # noqa: F401
from app.notifications import models as notifications  # noqa: F401
from app.offers import models as offers  # noqa: F401
from app.pagecache import CacheVersion  # noqa: F401
from app.payments import models as payments  # noqa: F401
from app.pools import models as pools  # noqa: F401
from app.reviews import models as reviews  # noqa: F401

metadata = Base.metadata

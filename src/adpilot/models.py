"""Every table of every module, imported once so that Alembic and the tests see the whole schema."""

from adpilot.audit import models as audit_models
from adpilot.auth import models as auth_models
from adpilot.campaigns import models as campaign_models
from adpilot.changes import models as change_models
from adpilot.connections import models as connection_models
from adpilot.db import Base
from adpilot.drafts import models as draft_models
from adpilot.exchange_rates import models as exchange_rate_models
from adpilot.metrics import models as metric_models
from adpilot.notifications import models as notification_models
from adpilot.organizations import models as organization_models
from adpilot.reporting import models as reporting_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "auth_models",
    "campaign_models",
    "change_models",
    "connection_models",
    "draft_models",
    "exchange_rate_models",
    "metadata",
    "metric_models",
    "notification_models",
    "organization_models",
    "reporting_models",
]

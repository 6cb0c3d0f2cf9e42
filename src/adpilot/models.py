"""Every table of every module, imported once so that Alembic and the tests see the whole schema."""

from adpilot.analytics import models as analytics_models
from adpilot.audit import models as audit_models
from adpilot.auth import models as auth_models
from adpilot.campaigns import models as campaign_models
from adpilot.connections import models as connection_models
from adpilot.db import Base
from adpilot.notifications import models as notification_models
from adpilot.organizations import models as organization_models

metadata = Base.metadata

__all__ = [
    "analytics_models",
    "audit_models",
    "auth_models",
    "campaign_models",
    "connection_models",
    "metadata",
    "notification_models",
    "organization_models",
]

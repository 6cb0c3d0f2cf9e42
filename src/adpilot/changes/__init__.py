"""Changes: the one write path for every edit of an ad platform entity (status, daily budget), with approval,
history and undo.

Public surface: ``change_service`` (asking for changes, review, undo, reading), the ``ChangeApplied`` event and
``AUDIT_TARGET_NAMES``.
"""

from adpilot.changes.events import ChangeApplied
from adpilot.changes.service import AUDIT_TARGET_NAMES, ChangeService, change_service

__all__ = ["AUDIT_TARGET_NAMES", "ChangeApplied", "ChangeService", "change_service"]

"""Campaign drafts: one campaign for one or several platforms, saved as immutable versions, reviewed and approved
before publishing, validated against each platform's limits, with URL templates (UTM tagging).

Public surface: ``draft_service`` (its ``start_publishing`` and ``finish_publishing`` are publishing's entry
points), the document model ``DraftDocument``, the statuses, ``tagged_url`` (a final URL with a template rendered
for a platform) and ``AUDIT_TARGET_NAMES``.
"""

from adpilot.drafts.schemas import DraftDocument, DraftStatus
from adpilot.drafts.service import AUDIT_TARGET_NAMES, DraftService, DraftView, draft_service
from adpilot.drafts.utm import tagged_url

__all__ = [
    "AUDIT_TARGET_NAMES",
    "DraftDocument",
    "DraftService",
    "DraftStatus",
    "DraftView",
    "draft_service",
    "tagged_url",
]

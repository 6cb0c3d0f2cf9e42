"""What the audit log's codes mean to a person: a label for each action and each target type."""

from __future__ import annotations

import json

# Every action the product records. A code missing here still reads well (see ``action_label``), but give each new
# action its words when adding it.
ACTION_LABELS: dict[str, str] = {
    "organization.created": "Created the organization",
    "organization.updated": "Changed the organization's settings",
    "organization.logo_set": "Uploaded a logo",
    "organization.logo_removed": "Removed the logo",
    "member.role_changed": "Changed a member's role",
    "member.removed": "Removed a member",
    "invitation.created": "Invited someone",
    "invitation.accepted": "Accepted an invitation",
    "invitation.revoked": "Revoked an invitation",
    "connection.connected": "Connected an ad platform",
    "connection.reconnected": "Reconnected an ad platform",
    "connection.disconnected": "Disconnected an ad platform",
    "connection.needs_reconnect": "A connection needs to be reconnected",
    "connection.accounts_changed": "Changed which ad accounts are managed",
    "connection.accounts_refreshed": "Asked to list the ad accounts again",
    "connection.accounts_discovered": "Listed a connection's ad accounts",
    "connection.discovery_failed": "Could not list a connection's ad accounts",
    "ad_account.sync_requested": "Asked for a campaign sync",
    "ad_account.metrics_sync_requested": "Asked for a metrics sync",
    "exchange_rate.set": "Set an exchange rate",
    "exchange_rate.deleted": "Deleted an exchange rate",
    "exchange_rates.imported": "Imported exchange rates",
    "report_schedule.created": "Created a scheduled report",
    "report_schedule.updated": "Changed a scheduled report",
    "report_schedule.deleted": "Deleted a scheduled report",
    "report_schedule.sent_now": "Sent a scheduled report now",
    "report_run.failed": "A scheduled report failed",
    "draft.created": "Created a campaign draft",
    "draft.saved": "Saved a campaign draft",
    "draft.duplicated": "Duplicated a campaign into a draft",
    "draft.submitted": "Submitted a draft for review",
    "draft.approved": "Approved a draft",
    "draft.changes_requested": "Asked for changes to a draft",
    "draft.reopened": "Brought a draft back to editing",
    "draft.publishing": "Started publishing a draft",
    "draft.published": "Published a draft",
    "draft.failed": "Publishing a draft failed",
    "draft.publication_retried": "Retried publishing a draft",
    "draft.publication_discarded": "Discarded what a draft's publishing created",
    "draft.target_discarded": "Removed a published draft's campaign from a platform",
    "draft.target_discard_failed": "Could not remove a published draft's campaign from a platform",
    "draft_import.imported": "Imported campaign drafts from a CSV file",
    "draft_settings.utm_template_changed": "Changed the URL template",
    "change.requested": "Asked for a change of an ad platform entity",
    "change.approved": "Approved a change",
    "change.rejected": "Rejected a change",
    "change.applied": "A change was applied on the ad platform",
    "change.failed": "A change could not be applied",
    "change.expired": "A change expired without approval",
}

# Every kind of target an entry can name, in the order the log's filter offers them.
TARGET_TYPE_LABELS: dict[str, str] = {
    "organization": "Organization",
    "user": "Member",
    "invitation": "Invitation",
    "connection": "Connection",
    "ad_account": "Ad account",
    "exchange_rate": "Exchange rate",
    "exchange_rates": "Exchange rates (import)",
    "report_schedule": "Scheduled report",
    "report_run": "Report run",
    "draft": "Campaign draft",
    "draft_import": "Draft import (CSV)",
    "entity_change": "Change",
}

# Snapshot fields that name the thing an entry is about, most telling first.
_NAME_FIELDS = ("name", "display_name", "email", "account_name", "title")


def _humanize(code: str) -> str:
    words = code.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def action_label(action: str) -> str:
    """The action in words: its label, else its code made readable ("report_schedule.paused" → "Report schedule
    paused")."""
    return ACTION_LABELS.get(action) or _humanize(action)


def target_type_label(target_type: str) -> str:
    return TARGET_TYPE_LABELS.get(target_type) or _humanize(target_type)


def name_in_snapshots(*snapshots: object) -> str | None:
    """A name the entry itself recorded for its target (a schedule's name, an invitee's email), if any."""
    for raw in snapshots:
        snapshot = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(snapshot, dict):
            continue
        for field in _NAME_FIELDS:
            value = snapshot.get(field)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None

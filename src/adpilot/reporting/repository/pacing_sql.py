"""The SQL of today's pacing (hours and day rows), of names from the reporting dimension and of data freshness:
statements the repository (query.py) runs as they are, or with the filters of the query (``hours_through``).

They read the metrics store's tables named in its read-only contract (``adpilot.metrics.reading``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Date, Integer, String, Uuid, bindparam, text
from sqlalchemy.sql.elements import TextClause

from adpilot.db import like_pattern
from adpilot.reporting.repository.query_sql import RowFilter


def hours_through_statement(
    where: RowFilter, cuts: Sequence[tuple[UUID, date, int]]
) -> tuple[TextClause, dict[str, Any]]:
    """Rows ``ad_account_id, day, currency, hours, impressions, clicks, spend, conversions, value``: per (account,
    day, last hour) asked, the hours 0..last hour of its campaigns that pass the filters, and its count of hours."""
    conditions = ["h.organization_id = :org"]
    values: dict[str, Any] = {
        "org": where.organization_id,
        "accounts": [a for a, _, _ in cuts],
        "days": [d for _, d, _ in cuts],
        "hours": [h for _, _, h in cuts],
    }
    if where.filters_campaigns:
        entity = [
            "c.organization_id = :org",
            "c.ad_account_id = h.ad_account_id",
            "c.level = 'campaign'",
            "c.platform_id = h.campaign_platform_id",
        ]
        if where.statuses:
            entity.append("c.status = ANY(:statuses)")
            values["statuses"] = list(where.statuses)
        if where.name_contains is not None:
            entity.append("c.name ILIKE :name ESCAPE '\\'")
            values["name"] = like_pattern(where.name_contains)
        conditions.append(f"EXISTS (SELECT 1 FROM metric_entities c WHERE {' AND '.join(entity)})")  # noqa: S608 (fixed fragments)
    statement = text(
        """
        SELECT a.ad_account_id, a.day, min(h.currency) AS currency, count(h.hour) AS hours,
               COALESCE(sum(h.impressions) FILTER (WHERE h.hour <= a.last_hour {f}), 0) AS impressions,
               COALESCE(sum(h.clicks) FILTER (WHERE h.hour <= a.last_hour {f}), 0) AS clicks,
               COALESCE(sum(h.spend_micros) FILTER (WHERE h.hour <= a.last_hour {f}), 0) AS spend,
               COALESCE(sum(h.conversions) FILTER (WHERE h.hour <= a.last_hour {f}), 0) AS conversions,
               COALESCE(sum(h.conversion_value_micros) FILTER (WHERE h.hour <= a.last_hour {f}), 0) AS value
          FROM unnest(:accounts, :days, :hours) AS a(ad_account_id, day, last_hour)
          LEFT JOIN metrics_hourly h
            ON h.organization_id = :org AND h.ad_account_id = a.ad_account_id AND h.day = a.day
         GROUP BY a.ad_account_id, a.day
        """.replace("{f}", "AND " + " AND ".join(conditions))
    ).bindparams(
        bindparam("accounts", type_=ARRAY(Uuid)),
        bindparam("days", type_=ARRAY(Date)),
        bindparam("hours", type_=ARRAY(Integer)),
        *([bindparam("statuses", type_=ARRAY(String))] if where.statuses else []),
    )
    return statement, values


CAMPAIGNS_OF_AD_GROUP = text(
    "SELECT DISTINCT campaign_platform_id FROM metric_entities "
    "WHERE organization_id = :org AND level = 'ad_group' AND platform_id = :id"
)

# Each campaign's hours of its account's today.
TODAY_HOURS = text(
    """
    SELECT h.ad_account_id, h.campaign_platform_id, min(h.platform) AS platform,
           min(h.currency) AS currency, h.day,
           array_agg(h.hour ORDER BY h.hour) AS hours, array_agg(h.spend_micros ORDER BY h.hour) AS spend
      FROM unnest(:accounts, :days) AS a(ad_account_id, day)
      JOIN metrics_hourly h ON h.ad_account_id = a.ad_account_id AND h.day = a.day
     WHERE h.organization_id = :org
     GROUP BY h.ad_account_id, h.campaign_platform_id, h.day
    """
).bindparams(bindparam("accounts", type_=ARRAY(Uuid)), bindparam("days", type_=ARRAY(Date)))

# Each campaign's day row of its account's today (campaign rollup).
TODAY_DAYS = text(
    """
    SELECT c.ad_account_id, c.campaign_platform_id, c.platform, c.currency, c.day, c.spend_micros
      FROM unnest(:accounts, :days) AS a(ad_account_id, day)
      JOIN metrics_campaign_daily c ON c.ad_account_id = a.ad_account_id AND c.day = a.day
     WHERE c.organization_id = :org
    """
).bindparams(bindparam("accounts", type_=ARRAY(Uuid)), bindparam("days", type_=ARRAY(Date)))

# Name and status of campaigns from the reporting dimension.
CAMPAIGN_NAMES = text(
    """
    SELECT e.ad_account_id, e.platform_id, e.name, e.status
      FROM unnest(:accounts, :ids) AS k(ad_account_id, platform_id)
      JOIN metric_entities e ON e.ad_account_id = k.ad_account_id AND e.platform_id = k.platform_id
     WHERE e.organization_id = :org AND e.level = 'campaign'
    """
).bindparams(bindparam("accounts", type_=ARRAY(Uuid)), bindparam("ids", type_=ARRAY(String)))

# Per account: when its last successful metrics sync finished, the run in flight, the latest outcome.
SYNC_STATES = text(
    """
    SELECT a.id AS ad_account_id,
           (SELECT max(r.finished_at) FROM metric_sync_runs r
             WHERE r.organization_id = :org AND r.ad_account_id = a.id AND r.status = 'succeeded')
               AS last_synced_at,
           active.scope AS running_scope, active.status AS running_status,
           active.days_done, active.days_total,
           latest.status AS last_status, latest.error AS last_error
      FROM unnest(:accounts) AS a(id)
      LEFT JOIN LATERAL (
            SELECT r.scope, r.status, r.days_done, r.days_total FROM metric_sync_runs r
             WHERE r.organization_id = :org AND r.ad_account_id = a.id AND r.status IN ('queued', 'running')
             ORDER BY r.queued_at DESC LIMIT 1) active ON true
      LEFT JOIN LATERAL (
            SELECT r.status, r.error FROM metric_sync_runs r
             WHERE r.organization_id = :org AND r.ad_account_id = a.id
               AND r.status IN ('succeeded', 'failed', 'deferred')
             ORDER BY r.queued_at DESC LIMIT 1) latest ON true
    """
).bindparams(bindparam("accounts", type_=ARRAY(Uuid)))

"""Reporting: the KPI queries (summary, time series, breakdowns, pacing, freshness), exports (CSV, XLSX, the PDF
report) and scheduled reports with the organization's branding.

It reads the metrics store and the exchange rates through their read-only contracts (``adpilot.metrics.reading``,
``adpilot.exchange_rates.reading``) and their services; nothing reads reporting's tables.
"""

from adpilot.reporting.service.answers import AnalyticsQuery
from adpilot.reporting.service.exports import export_service
from adpilot.reporting.service.query import analytics_query_service
from adpilot.reporting.service.reports import AUDIT_TARGET_NAMES, report_service

__all__ = ["AUDIT_TARGET_NAMES", "AnalyticsQuery", "analytics_query_service", "export_service", "report_service"]

"""Reporting: the KPI queries, exports and scheduled reports."""

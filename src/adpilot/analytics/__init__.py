"""Analytics: metrics sync and store, KPI queries, exports and scheduled reports."""

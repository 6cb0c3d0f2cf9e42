"""Metrics: the store of the platforms' numbers (daily, hourly, rollups, the reporting dimension) and its sync."""

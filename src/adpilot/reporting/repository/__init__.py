"""SQL of the reporting module (private): the KPI queries, report schedules and runs."""

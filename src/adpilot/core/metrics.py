"""Prometheus metrics of the HTTP API and the job queue."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

registry = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "adpilot_http_requests_total",
    "HTTP requests by route, method and status class.",
    ["method", "route", "status"],
    registry=registry,
)
http_latency = Histogram(
    "adpilot_http_request_duration_seconds",
    "HTTP request latency by route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=registry,
)
jobs_by_status = Gauge("adpilot_jobs", "Jobs in the queue by status.", ["status"], registry=registry)

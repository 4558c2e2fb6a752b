"""Prometheus metrics of IPAM cleanup (default registry, served on /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

ALLOCATIONS = Gauge(
    "k2_ipam_allocations", "Calico IPAM allocations found by the last scan, by class",
    ["cluster", "class"],
)  # fmt: skip
LEAKED_SHARE = Gauge(
    "k2_ipam_leaked_share", "Share of a pool's allocated addresses that look leaked",
    ["cluster", "pool"],
)  # fmt: skip
RELEASES = Counter(
    "k2_ipam_releases", "Addresses a run tried to release, by outcome "
    "(released, already released, changed hands, gave up after conflicts)",
    ["cluster", "outcome"],
)  # fmt: skip
CONFLICTS = Counter(
    "k2_ipam_conflicts", "409 Conflicts met by IPAM writes (each re-read, never forced)",
    ["cluster"],
)  # fmt: skip
RUNS = Counter("k2_ipam_runs", "IPAM runs finished, by state", ["cluster", "state"])
ALERTS = Counter(
    "k2_ipam_alerts", "Runs that released nothing because too much of a pool looked leaked",
    ["cluster"],
)  # fmt: skip
SCAN_SECONDS = Histogram(
    "k2_ipam_scan_seconds", "Duration of an IPAM scan (the LISTs and the classification)",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)  # fmt: skip

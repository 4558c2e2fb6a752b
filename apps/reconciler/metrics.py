"""Prometheus metrics of the reconciler (default registry, served on /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

PASSES = Counter(
    "k2_reconcile_passes", "Reconcile passes by cluster, scope and outcome",
    ["cluster", "scope", "outcome"],
)  # fmt: skip
PASS_SECONDS = Histogram(
    "k2_reconcile_pass_seconds", "Duration of reconcile passes", ["cluster", "scope"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)  # fmt: skip
OBJECTS = Counter(
    "k2_reconcile_objects", "Objects applied, pruned or failed by reconcile passes",
    ["cluster", "action"],
)  # fmt: skip
DRIFT = Counter(
    "k2_reconcile_drift", "Out-of-band changes found and repaired", ["cluster", "kind", "change"]
)
REPAIR_SECONDS = Histogram(
    "k2_reconcile_drift_repair_seconds", "From a drift event seen by the watcher to its repair",
    ["cluster"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)  # fmt: skip
PRUNE_BLOCKED = Counter(
    "k2_reconcile_prune_blocked", "Passes whose pruning a guard stopped", ["cluster", "reason"]
)
LAST_PASS = Gauge(
    "k2_reconcile_last_pass_timestamp_seconds", "When the last full pass finished", ["cluster"]
)
SKIPPED = Counter(
    "k2_reconcile_skipped", "Passes skipped (another pass holds the cluster's lock)", ["cluster"]
)

"""Prometheus metrics of registry retention (default registry, served on /metrics)."""

from prometheus_client import Counter

RUNS = Counter("k2_registry_runs", "Registry runs finished, by what, mode and state",
               ["registry", "what", "mode", "state"])  # fmt: skip
DELETED = Counter("k2_registry_artifacts_deleted", "Artifacts deleted by retention", ["registry"])
BYTES_RECLAIMED = Counter("k2_registry_bytes_reclaimed", "Bytes garbage collection reclaimed",
                          ["registry"])  # fmt: skip

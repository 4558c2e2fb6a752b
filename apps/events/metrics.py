"""Prometheus metrics of the event center (default registry, served on /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

INGESTED = Counter("k2_events_ingested", "Kubernetes event occurrences stored", ["cluster"])
MERGED = Counter("k2_events_merged", "Occurrences merged into an existing event row", ["cluster"])
RECEIVED = Counter("k2_events_received", "Watch notifications received", ["cluster", "resource"])
MALFORMED = Counter("k2_events_malformed", "Events dropped as malformed", ["cluster"])
LAG = Gauge("k2_events_watcher_lag_seconds", "Receive-to-stored delay of the last batch",
            ["cluster"])  # fmt: skip
BATCH_SECONDS = Histogram("k2_events_batch_seconds", "Time to write one batch and evaluate rules",
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5))  # fmt: skip
ALERTS = Counter("k2_events_alerts", "Notifications created, by kind", ["kind"])
DELIVERIES = Counter("k2_events_deliveries", "Sink deliveries, by sink kind and outcome",
                     ["sink", "outcome"])  # fmt: skip

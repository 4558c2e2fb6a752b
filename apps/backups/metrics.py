"""Prometheus metrics of backups (default registry, served on /metrics)."""

from prometheus_client import Counter, Histogram

BACKUPS = Counter(
    "k2_backups", "Backups finished, by trigger and outcome (verified or failed)",
    ["trigger", "outcome"],
)  # fmt: skip
BACKUPS_FAILED = Counter(
    "k2_backups_failed", "Backups that failed, by the stage that failed them", ["stage"]
)
BACKUP_BYTES = Counter("k2_backup_bytes", "Bytes of backup archives written to the store")
BACKUP_SIZE = Histogram(
    "k2_backup_size_bytes", "Size of backup archives",
    buckets=(1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9),
)  # fmt: skip
VERIFY_SECONDS = Histogram(
    "k2_backup_verify_seconds", "Duration of backup verification (store read, parse, dry run)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)  # fmt: skip

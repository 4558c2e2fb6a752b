"""CSV export of a filtered set of events, streamed row by row."""

import csv
import json

COLUMNS = (
    "id", "created_at", "actor_type", "actor_name", "actor_detail", "channel",
    "actor_token_id", "action", "target_type",
    "target_id", "target_name", "space_id", "cluster_id", "outcome", "reason", "request_id",
    "ip", "user_agent", "changes", "hash",
)  # fmt: skip


class _Echo:
    def write(self, value):
        return value


def _safe(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in user-influenced text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)  # machine names: stable for scripts in every language
    for event in queryset.order_by("-id").iterator(chunk_size=2000):
        row = []
        for name in COLUMNS:
            value = getattr(event, name)
            if name == "changes":
                value = json.dumps(value, sort_keys=True, ensure_ascii=False)
            elif name == "created_at":
                value = value.isoformat()
            row.append(_safe(value))
        yield writer.writerow(row)

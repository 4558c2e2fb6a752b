"""The hash chain: sha256 over a canonical JSON of an event's content and its predecessor's hash."""

import hashlib
import json

GENESIS_HASH = "0" * 64

# Field order does not matter (keys are sorted); the set of fields does: changing it
# breaks verification of every existing event, so it is versioned.
HASHED_FIELDS = (
    "created_at", "actor_type", "actor_user_id", "actor_name", "actor_detail", "action",
    "target_type", "target_id", "target_name", "space_id", "space_name", "cluster_id",
    "cluster_name", "outcome", "reason", "changes", "request_id", "ip", "user_agent", "prev_hash",
)  # fmt: skip
HASH_VERSION = 1


def canonical_content(event) -> dict:
    content = {name: getattr(event, name) for name in HASHED_FIELDS}
    content["created_at"] = event.created_at.isoformat(timespec="microseconds")
    content["v"] = HASH_VERSION
    return content


def canonical_json(content: dict) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event) -> str:
    return hashlib.sha256(canonical_json(canonical_content(event)).encode()).hexdigest()

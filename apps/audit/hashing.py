"""The hash chain: sha256 over a canonical JSON of an event's content and its predecessor's hash."""

import hashlib
import json

GENESIS_HASH = "0" * 64

# Field order does not matter (keys are sorted); the set of fields does: changing it would
# break verification of every existing event, so it is versioned. Each event stores the
# version it was hashed with and is always verified with that version's fields.
HASHED_FIELDS_V1 = (
    "created_at", "actor_type", "actor_user_id", "actor_name", "actor_detail", "action",
    "target_type", "target_id", "target_name", "space_id", "space_name", "cluster_id",
    "cluster_name", "outcome", "reason", "changes", "request_id", "ip", "user_agent", "prev_hash",
)  # fmt: skip
# Version 2 adds through which channel the actor came and which API token it used.
HASHED_FIELDS_V2 = (*HASHED_FIELDS_V1, "channel", "actor_token_id")
FIELDS_BY_VERSION = {1: HASHED_FIELDS_V1, 2: HASHED_FIELDS_V2}
HASH_VERSION = 2
HASHED_FIELDS = FIELDS_BY_VERSION[HASH_VERSION]


def hashed_fields(version: int) -> tuple[str, ...]:
    return FIELDS_BY_VERSION[version]


def canonical_content(event) -> dict:
    version = getattr(event, "hash_version", None) or 1
    content = {name: getattr(event, name) for name in hashed_fields(version)}
    content["created_at"] = event.created_at.isoformat(timespec="microseconds")
    content["v"] = version
    return content


def canonical_json(content: dict) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event) -> str:
    return hashlib.sha256(canonical_json(canonical_content(event)).encode()).hexdigest()

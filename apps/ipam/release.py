"""The release of one proven-leaked address: conditional writes, re-read on every 409.

1. Read the block, decide with `blocks.release_ordinal` (already free → done; now owned
   by another handle → leave it), PUT it with the resourceVersion just read. A 409 means
   someone (Calico itself) wrote the block meanwhile: read again and decide again, up to
   K2_IPAM_CONFLICT_RETRIES times, then give up on this address for this run. Never forced.
2. Then the handle, as Calico orders it (blocks first, handles after): its count for the
   block becomes the number of the block's allocations it still owns (recounted from the
   block, so a run interrupted between the two writes is completed by the next one); a
   handle left with no block is deleted with resourceVersion preconditions. 409: re-read.

GatewayErrors other than a conflict (the cluster went away) reach the caller, which stops
the run; what was written is consistent (a block write alone leaves a handle that counts
one address too many, which the next run's handle step corrects).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from apps.clusters.gateway import CallStats, GatewayError, Kind
from apps.ipam import cluster_ops
from apps.ipam.blocks import ALREADY, CHANGED, handle_after_release, release_ordinal

RELEASED = "released"
ALREADY_RELEASED = "already_released"
CHANGED_HANDS = "changed"
GAVE_UP = "gave_up"


@dataclass
class Result:
    outcome: str
    conflicts: int = 0
    detail: str = ""


def _owned_by(spec: dict, handle: str) -> int:
    attrs = spec.get("attributes") or []
    owned = {i for i, a in enumerate(attrs)
             if isinstance(a, dict) and str(a.get("handle_id") or "").split("\r")[0] == handle}  # fmt: skip
    return sum(1 for a in spec.get("allocations") or [] if a in owned)


def release_address(cluster, *, block: str, cidr: str, ordinal: int, handle: str,
                    stats: CallStats | None = None) -> Result:  # fmt: skip
    """Release ordinal `ordinal` of `block` if `handle` still owns it (see the module doc)."""
    retries = max(1, settings.K2_IPAM_CONFLICT_RETRIES)
    result = Result(GAVE_UP)
    remaining = None
    for _attempt in range(retries):
        current = cluster_ops.get_block(cluster, block, stats=stats)
        if current is None:
            result.outcome, result.detail = ALREADY_RELEASED, "the block is gone"
            break
        decision = release_ordinal(current.get("spec") or {}, ordinal, handle)
        if decision.outcome == CHANGED:
            result.outcome = CHANGED_HANDS
            result.detail = "the address now belongs to another handle"
            return result
        if decision.outcome == ALREADY:
            result.outcome = ALREADY_RELEASED
            remaining = _owned_by(current.get("spec") or {}, handle)
            break
        try:
            cluster_ops.replace_block(cluster, {**current, "spec": decision.spec}, stats=stats)
        except GatewayError as exc:
            if exc.kind == Kind.CONFLICT:
                result.conflicts += 1
                continue
            raise
        result.outcome = RELEASED
        remaining = _owned_by(decision.spec or {}, handle)
        break
    else:
        result.detail = f"the block changed on each of {retries} attempts (409 Conflict)"
        return result
    if remaining is not None:
        result.conflicts += _settle_handle(cluster, handle, cidr, remaining, stats, retries)
    return result


def _settle_handle(cluster, handle: str, cidr: str, remaining: int, stats, retries: int) -> int:
    """Make the handle count `remaining` addresses of `cidr`; returns the conflicts met."""
    conflicts = 0
    for _attempt in range(retries):
        current = cluster_ops.get_handle(cluster, handle, stats=stats)
        if current is None:
            return conflicts
        spec = current.get("spec") or {}
        counts = spec.get("block") or {}
        if int(counts.get(cidr, 0)) <= remaining:
            return conflicts  # nothing to correct (Calico's own release did it)
        new_spec = handle_after_release({**spec, "block": {**counts, cidr: remaining + 1}}, cidr)
        try:
            if new_spec is None:
                cluster_ops.delete_handle(cluster, current, stats=stats)
            else:
                cluster_ops.replace_handle(cluster, {**current, "spec": new_spec}, stats=stats)
            return conflicts
        except GatewayError as exc:
            if exc.kind != Kind.CONFLICT:
                raise
            conflicts += 1
    return conflicts

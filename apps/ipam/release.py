"""The release of proven-leaked addresses: conditional writes, re-read on every 409.

1. Read the block, decide with `blocks.release_ordinal` for each of its addresses to
   release (already free → done; now owned by another handle → leave it), PUT it once
   with the resourceVersion just read. A 409 means someone (Calico itself) wrote the
   block meanwhile: read again and decide again, up to K2_IPAM_CONFLICT_RETRIES times,
   then give up on those addresses for this run. Never forced.
2. Then the handle, as Calico orders it (blocks first, handles after): its count for the
   block becomes the number of the block's allocations it still owns (recounted from the
   block); a handle left with no block is deleted with resourceVersion preconditions.
   409: re-read.

GatewayErrors other than a conflict (the cluster went away) reach the caller, which stops
the run; what was written is consistent: the blocks never point at a missing attribute,
and a block write whose handle step did not happen leaves a handle that counts an address
it no longer has (it holds no address; later runs report it as an orphaned handle, as
`calicoctl ipam check` would).
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
    results, conflicts = release_in_block(cluster, block=block, cidr=cidr,
                                          items=[(ordinal, handle)], stats=stats)  # fmt: skip
    result = results[ordinal]
    result.conflicts = conflicts
    return result


def release_in_block(cluster, *, block: str, cidr: str, items: list[tuple[int, str]],
                     stats: CallStats | None = None) -> tuple[dict[int, Result], int]:  # fmt: skip
    """Release several ordinals of one block in one conditional write, as Calico releases
    a batch (each decided on the block as read; all decided again after a 409). Returns a
    Result per ordinal and the conflicts met."""
    retries = max(1, settings.K2_IPAM_CONFLICT_RETRIES)
    results = {ordinal: Result(GAVE_UP) for ordinal, _handle in items}
    conflicts = 0
    final: dict | None = None
    for _attempt in range(retries):
        current = cluster_ops.get_block(cluster, block, stats=stats)
        if current is None:
            for result in results.values():
                result.outcome, result.detail = ALREADY_RELEASED, "the block is gone"
            return results, conflicts
        spec = current.get("spec") or {}
        releasing = []
        for ordinal, handle in items:
            decision = release_ordinal(spec, ordinal, handle)
            if decision.outcome == CHANGED:
                results[ordinal].outcome = CHANGED_HANDS
                results[ordinal].detail = "the address now belongs to another handle"
            elif decision.outcome == ALREADY:
                results[ordinal].outcome = ALREADY_RELEASED
            else:
                spec = decision.spec or {}
                releasing.append(ordinal)
        if releasing:
            try:
                cluster_ops.replace_block(cluster, {**current, "spec": spec}, stats=stats)
            except GatewayError as exc:
                if exc.kind != Kind.CONFLICT:
                    raise
                conflicts += 1
                for result in results.values():
                    result.outcome = GAVE_UP
                continue
            for ordinal in releasing:
                results[ordinal].outcome = RELEASED
        final = spec
        break
    else:
        for result in results.values():
            result.detail = f"the block changed on each of {retries} attempts (409 Conflict)"
        return results, conflicts
    settled = {handle for ordinal, handle in items
               if results[ordinal].outcome in (RELEASED, ALREADY_RELEASED)}  # fmt: skip
    for handle in sorted(settled):
        remaining = _owned_by(final or {}, handle)
        try:
            conflicts += _settle_handle(cluster, handle, cidr, remaining, stats, retries)
        except GatewayError as exc:
            # The block write happened: say so, then let the caller stop the run.
            raise Interrupted(results, conflicts, exc) from exc
    return results, conflicts


class Interrupted(Exception):
    """The cluster failed after the block write: the results so far, and the error."""

    def __init__(self, results: dict[int, Result], conflicts: int, error: GatewayError):
        super().__init__(str(error))
        self.results, self.conflicts, self.error = results, conflicts, error


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


def block_name(cidr: str) -> str:
    """Calico names an IPAMBlock after its CIDR: 10.244.0.64/26 → 10-244-0-64-26."""
    return cidr.replace(".", "-").replace(":", "-").replace("/", "-")


def delete_orphan_handle(cluster, name: str, *, stats: CallStats | None = None) -> str:
    """Delete the pod handle `name` if none of the blocks it counts has an allocation of it
    now (each re-read); RELEASED when deleted, ALREADY_RELEASED when it is gone,
    CHANGED_HANDS when an allocation of it appeared, GAVE_UP after repeated 409s."""
    retries = max(1, settings.K2_IPAM_CONFLICT_RETRIES)
    for _attempt in range(retries):
        handle = cluster_ops.get_handle(cluster, name, stats=stats)
        if handle is None:
            return ALREADY_RELEASED
        for cidr in (handle.get("spec") or {}).get("block") or {}:
            block = cluster_ops.get_block(cluster, block_name(cidr), stats=stats)
            if block is not None and _owned_by(block.get("spec") or {}, name):
                return CHANGED_HANDS
        try:
            cluster_ops.delete_handle(cluster, handle, stats=stats)
        except GatewayError as exc:
            if exc.kind != Kind.CONFLICT:
                raise
            continue
        return RELEASED
    return GAVE_UP

"""The release of one address, as Calico's own block release does it (libcalico-go
ipam_block.go, `release` and `deleteAttributes`), on plain dicts: pure, so the decision
is tested on tables and re-made on every re-read after a 409.

- the ordinal's allocation becomes null and the ordinal is appended to `unallocated`;
- the attribute entry no allocation references any more is dropped, and the allocation
  indexes above it move down by one (Calico's deleteAttributes renumbers the same way);
- the ordinal's entry in `sequenceNumberForAllocation` is cleared; the block's
  `sequenceNumber` is left alone (Calico advances it on assignment only).

The handle loses one address of that block; a handle with no block left is deleted
(Calico's decrementHandle / ReleaseByHandle).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

ALREADY = "already"  # Calico (or another run) released it: done
CHANGED = "changed"  # the ordinal now belongs to another handle: leave it
RELEASE = "release"


@dataclass(frozen=True)
class BlockDecision:
    outcome: str
    spec: dict | None = None  # the new spec when outcome == RELEASE


def release_ordinal(spec: dict, ordinal: int, handle: str) -> BlockDecision:
    """Decide on the block `spec` as read now: release `ordinal` if `handle` still owns it."""
    allocations = spec.get("allocations") or []
    if ordinal >= len(allocations) or allocations[ordinal] is None:
        return BlockDecision(ALREADY)
    attributes = spec.get("attributes") or []
    index = allocations[ordinal]
    owner = attributes[index] if isinstance(index, int) and 0 <= index < len(attributes) else None
    if not isinstance(owner, dict) or str(owner.get("handle_id") or "").split("\r")[0] != handle:
        return BlockDecision(CHANGED)
    new = copy.deepcopy(spec)
    refs = sum(1 for a in new["allocations"] if a == index)
    if refs == 1:  # this allocation was the attribute's last reference: drop and renumber
        new["attributes"] = [a for i, a in enumerate(new["attributes"]) if i != index]
        new["allocations"] = [
            a - 1 if a is not None and a > index else a for a in new["allocations"]
        ]
    new["allocations"][ordinal] = None
    new["unallocated"] = [*new.get("unallocated", []), ordinal]
    seqs = new.get("sequenceNumberForAllocation")
    if isinstance(seqs, dict):
        seqs.pop(str(ordinal), None)
    return BlockDecision(RELEASE, new)


def handle_after_release(spec: dict, cidr: str) -> dict | None:
    """The handle's spec with one address of block `cidr` less; None: delete the handle."""
    counts = dict(spec.get("block") or {})
    left = int(counts.get(cidr, 0)) - 1
    if left > 0:
        counts[cidr] = left
    else:
        counts.pop(cidr, None)
    if not counts:
        return None
    return {**spec, "block": counts}

"""Placement: spread an app's replicas over clusters by weight (K2Cloud's federation)."""

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def split_replicas(replicas: int, weights: Sequence[tuple[K, int]]) -> dict[K, int]:
    """Replicas per cluster, proportional to the weights (largest remainder method).

    The shares sum to `replicas` and each is within one of its exact proportion; ties go
    to the cluster listed first, so the result is deterministic. A zero weight gets zero
    replicas; all-zero weights are treated as equal weights.

    >>> split_replicas(3, [("a", 2), ("b", 1)])
    {'a': 2, 'b': 1}
    """
    if replicas < 0:
        raise ValueError("replicas must not be negative")
    names = [name for name, _ in weights]
    if len(set(names)) != len(names):
        raise ValueError("a cluster is listed twice")
    if not weights:
        return {}
    values = [max(0, int(w)) for _, w in weights]
    if not any(values):
        values = [1] * len(values)
    total = sum(values)
    floors = [replicas * w // total for w in values]
    remainders = [replicas * w % total for w in values]
    left = replicas - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return dict(zip(names, floors, strict=True))

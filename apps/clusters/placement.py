"""Placement: which cluster gets a new space of an environment, and why others did not.

Free room is counted after overcommit: a cluster offers `allocatable x ratio` of limits
(requests are limits / ratio), less what its pods already claim (the larger of their
limits and their requests x ratio). The emptiest ready cluster (the largest free share of
its CPU and memory, the scarcer of the two deciding) wins.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from apps.clusters.choices import Health
from apps.clusters.models import Cluster
from apps.clusters.quantity import cpu_millicores, memory_bytes


@dataclass
class Room:
    cluster: Cluster
    cpu_total_m: int
    cpu_free_m: int
    memory_total: int
    memory_free: int

    @property
    def free_share(self) -> float:
        shares = [
            self.cpu_free_m / self.cpu_total_m if self.cpu_total_m else 0.0,
            self.memory_free / self.memory_total if self.memory_total else 0.0,
        ]
        return min(shares)


@dataclass
class Placement:
    cluster: Cluster | None
    candidates: list[Room] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # cluster name -> reason in words

    @property
    def reason(self) -> str:
        if self.cluster is not None:
            return ""
        if not self.skipped:
            return _("No cluster is registered for this environment.")
        return _("No cluster can take the space: ") + "; ".join(
            f"{name}: {why}" for name, why in sorted(self.skipped.items())
        )


def room(cluster: Cluster) -> Room:
    """Free CPU and memory of a cluster in limit terms, after its policy's overcommit."""
    policy = getattr(cluster, "policy", None)
    cpu_ratio = Decimal(policy.cpu_overcommit) if policy else Decimal(1)
    mem_ratio = Decimal(policy.memory_overcommit) if policy else Decimal(1)
    cpu_total = int(cluster.cpu_allocatable_m * cpu_ratio)
    mem_total = int(cluster.memory_allocatable * mem_ratio)
    cpu_used = max(cluster.cpu_limits_m, int(cluster.cpu_requested_m * cpu_ratio))
    mem_used = max(cluster.memory_limits, int(cluster.memory_requested * mem_ratio))
    return Room(cluster, cpu_total, cpu_total - cpu_used, mem_total, mem_total - mem_used)


def skip_reason(cluster: Cluster) -> str:
    if not cluster.enabled:
        return _("disabled")
    if cluster.cordoned:
        return _("cordoned (no new spaces)")
    if cluster.health != Health.READY:
        return _("not ready (%(health)s)") % {"health": Health(cluster.health).label}
    return ""


def choose_cluster(
    environment: str, *, cpu: str | int | None = None, memory: str | int | None = None
) -> Placement:
    """The cluster for a new space of `environment` needing `cpu`/`memory` (quantities,
    in limit terms), with the reason every other cluster of the environment was skipped."""
    need_cpu = cpu_millicores(cpu) if cpu not in (None, "") else 0
    need_mem = memory_bytes(memory) if memory not in (None, "") else 0
    placement = Placement(cluster=None)
    clusters = Cluster.objects.select_related("policy").filter(environment=environment)
    for cluster in clusters.order_by("name"):
        reason = skip_reason(cluster)
        if reason:
            placement.skipped[cluster.name] = reason
            continue
        free = room(cluster)
        if free.cpu_free_m < need_cpu or free.memory_free < need_mem or free.memory_total <= 0:
            placement.skipped[cluster.name] = _(
                "not enough free room after overcommit (%(cpu)s CPU and %(mem)s memory free)"
            ) % {"cpu": f"{max(free.cpu_free_m, 0) / 1000:g}", "mem": _gib(free.memory_free)}
            continue
        placement.candidates.append(free)
    placement.candidates.sort(key=lambda r: (-r.free_share, -r.memory_free, r.cluster.name))
    if placement.candidates:
        placement.cluster = placement.candidates[0].cluster
        for other in placement.candidates[1:]:
            placement.skipped[other.cluster.name] = _("less free room than %(winner)s") % {
                "winner": placement.cluster.name
            }
    return placement


def _gib(num: int) -> str:
    return f"{max(num, 0) / 2**30:.1f} GiB"

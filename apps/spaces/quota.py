"""Space quotas: defaults and maxima from the cluster policy, parsing and the checks.

CPU and memory defaults and maxima come from the cluster's policy (apps/clusters); pods,
storage and the LimitRange defaults from settings (K2_SPACES_*), since the policy does not
name them.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.clusters.models import ClusterPolicy
from apps.clusters.policy import (
    BUILTIN_DEFAULTS,
    MAX_CPU_MILLICORES,
    MAX_MEMORY_BYTES,
    POLICY_FIELDS,
)
from apps.clusters.quantity import (
    cpu_millicores,
    format_cpu,
    format_memory,
    human_memory,
    memory_bytes,
)

QUOTA_FIELDS = ("cpu", "memory", "pods", "storage")


@dataclass(frozen=True)
class Quota:
    """A space's quota as Kubernetes quantities."""

    cpu: str
    memory: str
    pods: int
    storage: str

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def cpu_m(self) -> int:
        return cpu_millicores(self.cpu)

    @property
    def memory_b(self) -> int:
        return memory_bytes(self.memory)

    @property
    def storage_b(self) -> int:
        return memory_bytes(self.storage)

    def exceeds(self, other: "Quota") -> list[str]:
        """The fields where this quota asks for more than `other`."""
        over = []
        if self.cpu_m > other.cpu_m:
            over.append("cpu")
        if self.memory_b > other.memory_b:
            over.append("memory")
        if self.pods > other.pods:
            over.append("pods")
        if self.storage_b > other.storage_b:
            over.append("storage")
        return over

    def capped(self, cap: "Quota") -> "Quota":
        return Quota(
            cpu=format_cpu(min(self.cpu_m, cap.cpu_m)),
            memory=format_memory(min(self.memory_b, cap.memory_b)),
            pods=min(self.pods, cap.pods),
            storage=format_memory(min(self.storage_b, cap.storage_b)),
        )

    @classmethod
    def of(cls, space) -> "Quota":
        return cls(space.quota_cpu, space.quota_memory, space.quota_pods, space.quota_storage)


def policy_of(cluster) -> dict:
    """The effective policy values of `cluster`: its own policy, else the built-in defaults."""
    policy = getattr(cluster, "policy", None) if cluster is not None else None
    if policy is None and cluster is not None and cluster.pk is not None:
        policy = ClusterPolicy.objects.filter(cluster=cluster).first()
    if policy is not None:
        return {f: getattr(policy, f) for f in POLICY_FIELDS}
    environment = getattr(cluster, "environment", "test")
    return dict(BUILTIN_DEFAULTS.get(environment) or BUILTIN_DEFAULTS["test"])


def default_quota(cluster) -> Quota:
    policy = policy_of(cluster)
    return Quota(
        cpu=str(policy["default_quota_cpu"]),
        memory=str(policy["default_quota_memory"]),
        pods=settings.K2_SPACES_DEFAULT_PODS,
        storage=settings.K2_SPACES_DEFAULT_STORAGE,
    )


def maximum_quota(cluster) -> Quota:
    policy = policy_of(cluster)
    return Quota(
        cpu=str(policy["max_quota_cpu"]),
        memory=str(policy["max_quota_memory"]),
        pods=settings.K2_SPACES_MAX_PODS,
        storage=settings.K2_SPACES_MAX_STORAGE,
    )


def default_limits() -> tuple[str, str]:
    """(CPU, memory) limit a container gets when it declares none (the LimitRange)."""
    return (
        settings.K2_SPACES_DEFAULT_CPU_LIMIT,
        settings.K2_SPACES_DEFAULT_MEMORY_LIMIT,
    )


def parse_quota(data: dict | None, base: Quota) -> Quota:
    """A Quota from user input (missing fields from `base`); ValidationError per field."""
    data = data or {}
    errors: dict[str, list[str]] = {}
    values = base.as_dict()
    for name, parse, example in (
        ("cpu", cpu_millicores, "2 or 500m"),
        ("memory", memory_bytes, "8Gi"),
        ("storage", memory_bytes, "20Gi"),
    ):
        raw = data.get(name)
        if raw in (None, ""):
            continue
        text = str(raw).strip()
        try:
            amount = parse(text)
            if amount <= 0:
                raise ValueError(text)
        except ValueError:
            errors[f"quota.{name}"] = [
                _("Give a Kubernetes quantity such as %(example)s.") % {"example": example}
            ]
            continue
        if amount > (MAX_CPU_MILLICORES if name == "cpu" else MAX_MEMORY_BYTES):
            errors[f"quota.{name}"] = [
                _("No cluster could hold that much; give a smaller quantity.")
            ]
            continue
        values[name] = text
    raw = data.get("pods")
    if raw not in (None, ""):
        try:
            pods = int(raw)
            if not 1 <= pods <= 1_000_000:
                raise ValueError
            values["pods"] = pods
        except (TypeError, ValueError):
            errors["quota.pods"] = [_("Give a whole number of pods, at least 1.")]
    if errors:
        raise ValidationError(errors)
    return Quota(**values)


def cluster_room(cluster) -> tuple[int, int]:
    """(CPU millicores, memory bytes) of limits the cluster can hold for one space:
    allocatable times the overcommit ratios; 0 when the cluster was never probed."""
    policy = policy_of(cluster)
    cpu = int(Decimal(cluster.cpu_allocatable_m) * Decimal(str(policy["cpu_overcommit"])))
    memory = int(Decimal(cluster.memory_allocatable) * Decimal(str(policy["memory_overcommit"])))
    return cpu, memory


def check_fits_cluster(quota: Quota, cluster) -> None:
    """ValidationError when `quota` is more than `cluster` could ever hold."""
    cpu_room, memory_room = cluster_room(cluster)
    errors = {}
    if cpu_room and quota.cpu_m > cpu_room:
        errors["quota.cpu"] = [
            _(
                "Cluster %(cluster)s can hold at most %(room)s CPU in limits "
                "(allocatable × overcommit); ask for less."
            )
            % {"cluster": cluster.name, "room": format_cpu(cpu_room)}
        ]
    if memory_room and quota.memory_b > memory_room:
        errors["quota.memory"] = [
            _(
                "Cluster %(cluster)s can hold at most %(room)s of memory in limits "
                "(allocatable × overcommit); ask for less."
            )
            % {"cluster": cluster.name, "room": human_memory(memory_room)}
        ]
    if cluster.pods_allocatable and quota.pods > cluster.pods_allocatable:
        errors["quota.pods"] = [
            _("Cluster %(cluster)s can run at most %(room)s pods; ask for fewer.")
            % {"cluster": cluster.name, "room": cluster.pods_allocatable}
        ]
    if errors:
        raise ValidationError(errors)

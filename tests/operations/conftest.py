"""Operations tests: a registered test kind whose steps count their runs, and a space row
(no cluster needed: operations are about rows, leases and workers)."""

import pytest

from apps.clusters.models import Cluster
from apps.operations.registry import Step, register, unregister
from apps.spaces.choices import SpaceRole, SpaceState
from apps.spaces.models import Membership, Space
from apps.spaces.permissions import grant_role

KIND = "tests.three-steps"


class Counting:
    """Three steps; `fail_at` makes a step raise once; `runs` counts every step run."""

    def __init__(self):
        self.runs: list[int] = []
        self.fail_at: int | None = None

    def steps(self, operation):
        return [Step(f"step {i + 1}", self._step(i)) for i in range(3)]

    def _step(self, index):
        def run(operation):
            self.runs.append(index)
            if self.fail_at == index:
                self.fail_at = None
                raise RuntimeError(f"step {index + 1} broke")
            return {f"step{index + 1}": "done"}

        return run


@pytest.fixture
def counting():
    kind = Counting()
    register(KIND, label="Three steps")(kind.steps)
    yield kind
    unregister(KIND)


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="ops-1", environment="test", api_url="https://127.0.0.1:1")


@pytest.fixture
def space(cluster, alice, bob):
    """alice owns it, bob views it."""
    space = Space.objects.create(
        slug="ops-space", environment="test", primary_cluster=cluster, owner=alice,
        quota_cpu="2", quota_memory="4Gi", quota_pods=10, quota_storage="10Gi",
        default_cpu_limit="500m", default_memory_limit="512Mi", state=SpaceState.ACTIVE,
    )  # fmt: skip
    for user, role in ((alice, SpaceRole.OWNER), (bob, SpaceRole.VIEWER)):
        Membership.objects.create(space=space, user=user, role=role)
        grant_role(space, user, role)
    return space


@pytest.fixture
def sent(monkeypatch):
    """Operation ids the service sent to the run task (instead of a broker)."""
    from apps.core import tasks

    ids: list[int] = []

    def send(name, args, kwargs, options):
        assert name == "workers.operations.run_operation"
        ids.append(*args)

    monkeypatch.setattr(tasks, "send", send)
    return ids

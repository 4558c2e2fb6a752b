"""k2sim clusters registered in the database for the spaces tests, and space factories."""

import pytest

from apps.audit.actors import Actor
from apps.clusters import gateway
from tests.conftest import sim_for


@pytest.fixture(scope="session")
def sim(k2sim_clusters):
    return sim_for(k2sim_clusters, ("test", "test2", "prod"))


@pytest.fixture(autouse=True)
def _fresh_gateway():
    gateway.reset()
    yield
    gateway.reset()


def _register(handle, environment):
    from apps.audit.actors import Actor
    from apps.clusters.services import do_probe_cluster
    from tests.clusters.conftest import register

    cluster = register(handle, name=f"{handle.name}-1", environment=environment,
                       actor=Actor.system("tests"))  # fmt: skip
    do_probe_cluster(cluster)
    # A probe slower than the clusters app's threshold marks the cluster degraded, which
    # placement skips; these tests are about spaces, so the cluster is healthy by fiat.
    type(cluster).objects.filter(pk=cluster.pk).update(health="ready")
    cluster.refresh_from_db()
    return cluster


@pytest.fixture
def workflows(db):
    """The seeded workflows (a transactional test elsewhere may have flushed them)."""
    from apps.accounts.roles import ensure_role_groups
    from apps.approvals.models import WorkflowDefinition
    from tests.approvals.factories import make_workflow

    ensure_role_groups()
    seeded = {
        "space.create.prod": [{"approvers": "approver"}, {"approvers": "platform-admin"}],
        "quota.raise": [{"approvers": "platform-admin"}],
        "space.renew.beyond_cap": [{"approvers": "approver"}],
    }
    for kind, steps in seeded.items():
        if not WorkflowDefinition.objects.filter(kind=kind, steps__isnull=False).exists():
            make_workflow(kind, *steps)


@pytest.fixture
def test_cluster(sim, db, workflows):
    """The k2sim "test" cluster registered (and probed) as test-1."""
    return _register(sim["test"], "test")


@pytest.fixture
def prod_cluster(sim, db, workflows):
    """The k2sim "prod" cluster registered (and probed) as prod-1."""
    return _register(sim["prod"], "prod")


@pytest.fixture
def second_test_cluster(sim, db, workflows):
    """The k2sim "test2" cluster registered (and probed) as test2-1."""
    return _register(sim["test2"], "test")


@pytest.fixture
def clusters(test_cluster, prod_cluster):
    return {"test": test_cluster, "prod": prod_cluster}


def namespaces(handle, space_slug=None) -> list:
    """Names of the K2-managed namespaces in a k2sim cluster."""
    from kubernetes import client

    api = client.CoreV1Api(handle.api_client())
    selector = "app.kubernetes.io/managed-by=k2cloud"
    if space_slug:
        selector += f",k2cloud.io/space={space_slug}"
    items = api.list_namespace(label_selector=selector).items
    return [n.metadata.name for n in items if not n.metadata.deletion_timestamp]


def make_space(owner, slug="team-a", *, environment="test", cluster=None, **kwargs):
    """A space created through the service, provisioned synchronously (test spaces)."""

    from apps.spaces.provisioning import do_provision_space
    from apps.spaces.services import do_create_space

    result = do_create_space(
        actor=Actor.for_user(owner), slug=slug, environment=environment,
        cluster=cluster.name if cluster is not None else None, **kwargs,
    )  # fmt: skip
    if environment != "prod":
        do_provision_space(result.space.pk)
    result.space.refresh_from_db()
    return result.space

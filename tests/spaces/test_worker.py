"""Through the API with a real Celery worker: a test space is active in seconds, a member
change reaches the RoleBindings, and deletion waits for the namespace to go."""

import time

import pytest
from kubernetes import client

from apps.spaces.models import Space
from tests.conftest import api_as
from tests.spaces.conftest import namespaces

pytestmark = pytest.mark.django_db(transaction=True)


def eventually(check, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} not reached within {timeout}s")


def test_create_share_and_delete_a_test_space_with_a_worker(
    alice, bob, test_cluster, sim, celery_worker_process
):
    api = api_as(alice)
    started = time.monotonic()
    response = api.post("/api/v1/spaces/", {"slug": "worked", "environment": "test", "cluster": "test-1"},
                        format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    eventually(lambda: api.get("/api/v1/spaces/worked/").json()["state"] == "active",
               what="active")  # fmt: skip
    assert time.monotonic() - started < 15  # "active in seconds"

    rbac = client.RbacAuthorizationV1Api(sim["test"].api_client())

    def bindings():
        return {b.metadata.name: [s.name for s in b.subjects or []]
                for b in rbac.list_namespaced_role_binding("worked").items}  # fmt: skip

    response = api.post("/api/v1/spaces/worked/members/", {"user": "bob", "role": "developer"},
                        format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    eventually(lambda: bindings().get("k2-developer") == ["bob"], what="RoleBinding for bob")

    assert api.delete("/api/v1/spaces/worked/").status_code == 202
    eventually(lambda: Space.objects.get(slug="worked").state == "deleted", what="deleted")
    assert namespaces(sim["test"], "worked") == []
    assert api.get("/api/v1/spaces/worked/").json()["state"] == "deleted"

"""The proxy's rules without a server: how requests are read, and who may do what."""

from __future__ import annotations

import pytest

from apps.kubeproxy.policy import decide, parse, roles_for
from apps.spaces.choices import SpaceRole


@pytest.mark.parametrize(
    ("method", "path", "query", "verb", "namespace", "resource", "name"),
    [
        ("GET", "/api/v1/namespaces/shop/pods", "", "list", "shop", "pods", ""),
        ("GET", "/api/v1/namespaces/shop/pods", "watch=1", "watch", "shop", "pods", ""),
        ("GET", "/api/v1/namespaces/shop/pods/web-0/log", "follow=true", "get", "shop",
         "pods/log", "web-0"),
        ("GET", "/api/v1/namespaces/shop/pods/web-0/exec", "command=sh", "create", "shop",
         "pods/exec", "web-0"),
        ("DELETE", "/apis/apps/v1/namespaces/shop/deployments/web", "", "delete", "shop",
         "deployments.apps", "web"),
        ("DELETE", "/api/v1/namespaces/shop/configmaps", "", "deletecollection", "shop",
         "configmaps", ""),
        ("GET", "/api/v1/nodes", "", "get", "", "", ""),
        ("GET", "/api/v1/namespaces/shop", "", "get", "shop", "namespaces", "shop"),
    ],
)  # fmt: skip
def test_requests_are_read_like_kubernetes_reads_them(method, path, query, verb, namespace,
                                                      resource, name):  # fmt: skip
    request = parse(method, path, query)
    assert (request.verb, request.namespace, request.resource, request.name) == (
        verb, namespace, resource, name)  # fmt: skip


def test_discovery_is_open_to_every_signed_in_person():
    assert parse("GET", "/api", "").discovery
    assert parse("GET", "/apis/apps/v1", "").discovery
    assert parse("GET", "/version", "").discovery
    assert not parse("POST", "/api/v1", "").discovery


def test_role_lists_are_per_environment(settings):
    settings.K2_PROXY_EXEC_ROLES = "prod=owner,admin;*=owner,admin,developer"
    assert roles_for(settings.K2_PROXY_EXEC_ROLES, "prod") == {"owner", "admin"}
    assert "developer" in roles_for(settings.K2_PROXY_EXEC_ROLES, "test")
    assert roles_for("prod=", "prod") == frozenset()


def test_the_table_of_who_may_do_what(make_space, clusters, dev, viewer, alice, settings):
    test = make_space(members={dev: SpaceRole.DEVELOPER, viewer: SpaceRole.VIEWER})
    prod = make_space("prod", ("wl-prod",), {dev: SpaceRole.DEVELOPER})
    ns = test.namespace

    def allowed(user, cluster, method, path, query=""):
        return decide(user, clusters[cluster], parse(method, path, query))

    pods = f"/api/v1/namespaces/{ns}/pods"
    assert allowed(viewer, "wl-test", "GET", pods).allowed
    assert allowed(viewer, "wl-test", "GET", pods, "watch=true").kind == "stream"
    refused = allowed(viewer, "wl-test", "GET", f"{pods}/web-0/log")
    assert not refused.allowed and refused.rule == "logs"
    assert allowed(dev, "wl-test", "GET", f"{pods}/web-0/log").allowed
    assert allowed(viewer, "wl-test", "GET", f"/api/v1/namespaces/{ns}/secrets").rule == "secrets"
    assert allowed(dev, "wl-test", "GET", f"{pods}/web-0/exec").allowed  # a test space
    # The namespace must be the space's on that cluster.
    assert allowed(viewer, "wl-test2", "GET", pods).rule == "namespace"
    assert allowed(viewer, "wl-test", "GET", "/api/v1/namespaces/kube-system/pods").rule == (
        "namespace")  # fmt: skip
    assert allowed(viewer, "wl-test", "GET", "/api/v1/nodes").rule == "cluster-scoped"
    # Production: exec for owners and admins, writes for nobody.
    prod_pods = f"/api/v1/namespaces/{prod.namespace}/pods"
    assert allowed(alice, "wl-prod", "GET", f"{prod_pods}/web-0/exec").allowed
    refused = allowed(dev, "wl-prod", "GET", f"{prod_pods}/web-0/exec")
    assert refused.rule == "exec" and "owner, admin" in refused.reason
    delete = allowed(alice, "wl-prod", "DELETE",
                     f"/apis/apps/v1/namespaces/{prod.namespace}/deployments/web")  # fmt: skip
    assert not delete.allowed and delete.rule == "write"
    assert allowed(dev, "wl-test", "DELETE", f"{pods}/web-0").allowed
    assert not allowed(viewer, "wl-test", "DELETE", f"{pods}/web-0").allowed
    settings.K2_PROXY_EXEC_ROLES = "prod=owner,admin,developer"
    assert allowed(dev, "wl-prod", "GET", f"{prod_pods}/web-0/exec").allowed

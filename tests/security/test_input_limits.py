"""Hostile input costs nothing: bounded bodies, JSON depth, YAML aliases, dates and numbers.

Each case was a 500 or a silent acceptance before (issue 13, "Found").
"""

import json
import resource
import time
import tracemalloc

import pytest

from apps.clusters.kubeconfig import KubeconfigError, parse_kubeconfig
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

ERROR_SHAPE = {"message", "code", "fields"}


def _laughs(where: str) -> str:
    """568 bytes of nested anchors: nine levels of nine aliases, 9**9 strings expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("apiVersion: v1")
    if where == "kind":
        lines.append("kind: *i")
        lines.append("clusters: [{name: c, cluster: {server: 'https://x:6443'}}]")
    else:
        lines.append("clusters: [{name: c, cluster: {server: *i}}]")
    lines.append("users: [{name: u, user: {token: t}}]")
    lines.append("contexts: [{name: c, context: {cluster: c, user: u}}]")
    return "\n".join(lines) + "\n"


def test_a_body_over_the_limit_gets_413_in_the_json_shape(alice, settings):
    body = b'{"name": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    response = api_as(alice).generic(
        "POST", "/api/v1/tokens/", body, content_type="application/json"
    )
    assert response.status_code == 413
    payload = response.json()
    assert set(payload) == ERROR_SHAPE
    assert payload["code"] == "too_large"
    assert "2 MiB" in payload["message"]


def test_a_portal_form_over_the_limit_gets_a_413_page(client, alice):
    client.force_login(alice)
    response = client.post(
        "/account/tokens/", {"name": "x" * (3 * 1024 * 1024)}, HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 413
    assert b'data-testid="error-page"' in response.content


def test_deeply_nested_json_gets_400_naming_the_limit(alice):
    body = "[" * 1000 + "]" * 1000
    response = api_as(alice).generic(
        "POST", "/api/v1/tokens/", body, content_type="application/json"
    )
    assert response.status_code == 400
    payload = response.json()
    assert set(payload) == ERROR_SHAPE
    assert "32 levels" in payload["message"]


def test_nesting_within_the_limit_is_parsed_and_brackets_in_strings_do_not_count(alice):
    body = json.dumps({"name": "[[[[{{{{" * 10, "expires_days": 5})
    response = api_as(alice).generic(
        "POST", "/api/v1/tokens/", body, content_type="application/json"
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("where", ["server", "kind"])
def test_billion_laughs_kubeconfig_gets_a_small_400_fast(admin_user, where):
    text = _laughs(where)
    assert len(text.encode()) < 600
    client = api_as(admin_user)
    body = {"name": "laughs", "environment": "test", "kubeconfig": text}
    client.get("/api/v1/clusters/")  # warm up URLconf and imports outside the measurement

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    response = client.post("/api/v1/clusters/", body, format="json")
    elapsed = time.monotonic() - started
    tracemalloc.start()
    client.post("/api/v1/clusters/", body, format="json")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    assert response.status_code == 400
    assert len(response.content) < 2048
    assert "aliases expand to more than" in response.json()["fields"]["kubeconfig"][0]
    assert elapsed < 3  # about 0.1 s on an idle machine; unbounded, it took minutes
    assert peak < 20 * 1024 * 1024  # Python allocations while answering
    assert rss_growth_kib < 50 * 1024  # the process did not grow


def test_a_structure_where_a_name_belongs_is_named_not_echoed():
    huge = ["lol"] * 5000
    doc = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"name": "c", "cluster": {"server": huge}}],
           "users": [{"name": "u", "user": {"token": "t"}}],
           "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}  # fmt: skip
    with pytest.raises(KubeconfigError) as caught:
        parse_kubeconfig(json.dumps(doc))
    message = str(caught.value)
    assert "'server' must be a text value" in message
    assert "lol" not in message and len(message) < 200


def test_long_user_supplied_names_are_cut_in_messages():
    doc = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"name": "c", "cluster": {"server": "https://x:6443"}}],
           "users": [{"name": "u", "user": {"token": "t"}}],
           "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}  # fmt: skip
    with pytest.raises(KubeconfigError) as caught:
        parse_kubeconfig(json.dumps(doc), "z" * 100_000)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("end", ["0001-01-01", "9999-12-31"])
def test_analytics_dates_out_of_range_get_400(dana, end):
    response = api_as(dana).get(f"/api/v1/analytics/summary/?end={end}")
    assert response.status_code == 400
    assert "Choose a date between" in response.json()["fields"]["end"][0]


@pytest.mark.parametrize("end", ["0001-01-01", "9999-12-31"])
def test_the_dashboard_explains_dates_out_of_range(client, dana, end):
    client.force_login(dana)
    response = client.get(f"/analytics/?end={end}")
    assert response.status_code == 200
    assert b"Choose a date between" in response.content


def test_renewal_days_beyond_the_cap_are_refused(admin_user):
    response = api_as(admin_user).patch(
        "/api/v1/clusters/environments/test/", {"renewal_days": 770}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["fields"] == {
        "renewal_days": ["A renewal can add at most the cap, 90 days."]
    }


def test_a_policy_quota_no_cluster_could_hold_is_refused(admin_user):
    response = api_as(admin_user).patch(
        "/api/v1/clusters/environments/test/", {"max_quota_cpu": "1e30"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["max_quota_cpu"]


def test_unknown_fields_are_refused_by_name(alice):
    response = api_as(alice).post("/api/v1/tokens/", {"name": "ci", "expires": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "expires": ["Unknown field: this endpoint does not accept it."]
    }
    assert not alice.access_tokens.exists()


@pytest.fixture
def workflows(db):
    from apps.approvals.defaults import ensure_default_workflows

    ensure_default_workflows()


def test_unknown_fields_in_nested_input_are_refused(admin_user, workflows):
    response = api_as(admin_user).patch(
        "/api/v1/approvals/definitions/space.create.prod/",
        {"steps": [{"name": "ops", "approvers": "platform-admin", "typo": 1}]},
        format="json",
    )
    assert response.status_code == 400
    assert "typo" in json.dumps(response.json()["fields"])


def test_multipart_steps_are_refused_not_dropped(admin_user, workflows):
    response = api_as(admin_user).patch(
        "/api/v1/approvals/definitions/space.create.prod/",
        {"steps": "ops", "name": "Renamed"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "send the request as JSON" in response.json()["fields"]["steps"][0]


def test_a_clone_with_space_instead_of_target_space_is_refused():
    from apps.workloads.api.serializers import CloneSerializer

    data = CloneSerializer(data={"space": "other", "name": "copy"})
    assert not data.is_valid()
    assert data.errors == {"space": ["Unknown field: this endpoint does not accept it."]}


def test_a_space_quota_no_cluster_could_hold_is_refused_on_its_field(alice, cluster):
    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "huge", "environment": "test", "quota": {"cpu": "1e30"}},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert response.json()["fields"] == {
        "quota.cpu": ["No cluster could hold that much; give a smaller quantity."]
    }


@pytest.mark.parametrize("until", ["0403-07-05T03:17:28%2B18:04", "0001-01-01T00:00:00Z"])
def test_audit_filters_out_of_range_get_400(admin_user, until):
    response = api_as(admin_user).get(f"/api/v1/audit/events/?until={until}")
    assert response.status_code == 400
    assert "Choose a date between" in response.json()["fields"]["until"][0]

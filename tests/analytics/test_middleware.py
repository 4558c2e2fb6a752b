"""UsageMiddleware: the right feature, status, latency, space and user for portal and API
requests; nothing for static files and health checks; excluded people and IP truncation."""

import pytest
from django.test import Client

from apps.analytics import buffer
from apps.analytics.choices import EventKind, Source
from apps.analytics.models import UsageEvent
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def _events():
    return list(UsageEvent.objects.filter(kind=EventKind.REQUEST).order_by("id"))


def test_portal_page_is_recorded_with_feature_status_latency(client, alice, drain):
    client.force_login(alice)
    response = client.get("/spaces/", REMOTE_ADDR="10.20.30.40")
    assert response.status_code == 200
    assert drain() == 1
    [event] = _events()
    assert event.user == alice
    assert event.feature == "spaces.browse"
    assert event.route == "spaces:list"
    assert event.source == Source.PORTAL
    assert event.method == "GET"
    assert event.status == 200
    assert event.latency_ms > 0
    assert event.ip == "10.20.30.0"  # truncated to the /24
    assert event.space_slug == ""
    assert event.request_id == response["X-Request-ID"]


def test_space_in_the_url_and_error_status_are_recorded(client, alice, drain):
    client.force_login(alice)
    assert client.get("/spaces/no-such-space/").status_code == 404
    assert client.post("/apps/no-such-space/web/do/scale/").status_code == 404
    drain()
    view, scale = _events()
    assert (view.feature, view.status, view.space_slug) == ("spaces.view", 404, "no-such-space")
    assert (scale.feature, scale.method, scale.space_slug) == (
        "apps.scale",
        "POST",
        "no-such-space",
    )


def test_api_requests_are_recorded_by_feature(alice, drain):
    api = api_as(alice)
    assert api.get("/api/v1/spaces/").status_code == 200
    api.post("/api/v1/spaces/", {}, format="json")  # invalid: 400, still counted
    api.post("/api/v1/apps/shop/web/scale/", {"replicas": 2}, format="json")
    drain()
    # By feature: the buffer's background flush and drain() may store them in either order.
    by_feature = {e.feature: e for e in _events()}
    browse, create, scale = (
        by_feature[f] for f in ("spaces.browse", "spaces.create", "apps.scale")
    )
    assert (browse.feature, browse.source, browse.status) == ("spaces.browse", Source.API, 200)
    assert (create.feature, create.method, create.status) == ("spaces.create", "POST", 400)
    assert scale.feature == "apps.scale"
    assert scale.space_slug == "shop"
    assert {e.user_id for e in (browse, create, scale)} == {alice.pk}


def test_latency_covers_the_view(settings, alice, drain):
    settings.ROOT_URLCONF = "tests.analytics.slow_urls"
    client = Client()
    client.force_login(alice)
    client.get("/slow/")
    drain()
    [event] = _events()
    assert event.feature == "site.slow"
    assert event.latency_ms >= 50


def test_anonymous_requests_have_no_user(client, drain):
    assert client.get("/analytics/").status_code == 302
    drain()
    [event] = _events()
    assert event.user is None
    assert event.feature == "analytics.dashboard"
    assert event.status == 302


@pytest.mark.parametrize(
    "path", ["/static/src/k2.css", "/healthz", "/readyz", "/metrics", "/no/such/route/"]
)
def test_static_files_health_checks_and_unrouted_paths_are_not_recorded(client, path, drain):
    client.get(path)
    buffer.flush()
    assert buffer.depth() == 0
    assert drain() == 0


def test_excluded_people_are_not_recorded(settings, alice, bob, drain):
    from apps.analytics.models import AnalyticsOptOut

    settings.K2_ANALYTICS_EXCLUDED_USERS = ["alice"]
    AnalyticsOptOut.objects.create(user=bob)
    for user in (alice, bob):
        client = Client()
        client.force_login(user)
        client.get("/spaces/")
    assert drain() == 0  # alice: dropped at the door; bob: dropped by the drain


def test_ipv6_addresses_are_truncated_to_48():
    from apps.analytics.privacy import truncate_ip

    assert truncate_ip("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::"
    assert truncate_ip("192.168.7.9") == "192.168.7.0"
    assert truncate_ip("not-an-ip") is None


def test_a_redis_outage_never_fails_the_request(settings, alice, monkeypatch):
    def broken():
        raise ConnectionError("redis is down")

    settings.K2_ANALYTICS_FLUSH_SIZE = 1  # flush inside the request
    client = Client()
    client.force_login(alice)
    dropped = buffer.dropped
    monkeypatch.setattr(buffer, "client", broken)
    try:
        assert client.get("/spaces/").status_code == 200
        assert buffer.dropped == dropped + 1
    finally:
        monkeypatch.undo()

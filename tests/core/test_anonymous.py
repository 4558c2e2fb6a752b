"""Every portal page and API endpoint refuses an anonymous visitor.

The URL list is walked from the resolver, so a page added later is covered without
touching this test; only the public endpoints below are exempt.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PUBLIC = {
    "healthz", "readyz", "prometheus-django-metrics", "accounts:login", "accounts:logout",
    "set_language", "javascript-catalog",
    # The device-code login: the device has no credential yet (RFC 8628); what it gets is
    # bound to whoever confirms the code in the portal (tests/kubeproxy/test_device.py).
    "api:k2ctl-device", "api:k2ctl-device-token",
}  # fmt: skip
SKIP_PREFIXES = ("admin/", "static/", "media/", "oidc/")  # admin has its own login gate


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else None


def _concrete(route: str) -> str:
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    route = re.sub(r"\(\?P<format>[^)]*\)", "", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = re.sub(r"<(?:int:)?\w*pk>|<int:\w+>", "1", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-4000-8000-000000000000", route)
    route = re.sub(r"<(?:\w+:)?\w+>", "x", route)
    return "/" + route


def portal_and_api_urls():
    urls = set()
    for route, name in _walk(get_resolver().url_patterns):
        if name in PUBLIC or route.startswith(SKIP_PREFIXES) or "format" in route:
            continue
        urls.add(_concrete(route))
    return sorted(urls)


def test_the_walk_finds_the_known_pages():
    urls = portal_and_api_urls()
    for expected in [
        "/",
        "/spaces/",
        "/clusters/",
        "/audit/",
        "/api/v1/me/",
        "/api/v1/tokens/",
        "/api/v1/schema/",
    ]:
        assert expected in urls


@pytest.mark.parametrize("url", portal_and_api_urls())
def test_anonymous_is_refused(client, url):
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if url.startswith("/api/v1/"):
            assert response.status_code in (401, 403), (method, url, response.status_code)
            if response["Content-Type"].startswith("application/json"):
                assert response.json()["message"]
        else:
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), (method, url)

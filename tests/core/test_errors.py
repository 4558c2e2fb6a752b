"""Unknown URLs and refused pages: a styled page for people, the JSON envelope for programs."""

import pytest

from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_unknown_url_is_a_404_page_for_browsers(client, alice):
    client.force_login(alice)
    response = client.get("/no/such/page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert b'data-testid="error-page"' in response.content
    assert b"Page not found" in response.content


def test_unknown_url_is_json_when_json_is_accepted(client):
    response = client.get("/no/such/page/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {
        "message": "There is nothing at this address. It may have been moved or deleted.",
        "code": "not_found",
        "fields": {},
    }


def test_unknown_api_url_is_json(alice):
    response = api_as(alice).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_admin_only_page_is_a_403_page_for_an_employee(client, alice):
    client.force_login(alice)
    response = client.get("/audit/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_validation_errors_name_the_field(alice):
    response = api_as(alice).post(
        "/api/v1/tokens/", {"name": "", "expires_days": 999}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"name", "expires_days"}
    assert "name" in body["message"] and "expires_days" in body["message"]


@pytest.mark.parametrize("debug", [True, False])
def test_every_api_error_status_is_the_json_envelope_through_the_real_stack(
    client, settings, alice, debug
):
    """With DEBUG on (make run) as off: Django's own 404/405/500 pages never reach API clients."""
    settings.DEBUG = debug
    settings.ROOT_URLCONF = "tests.core.error_urls"
    client.raise_request_exception = False
    client.force_login(alice)
    cases = [
        ("get", "/api/v1/no-such-thing/", 404, "not_found"),
        ("post", "/api/v1/test-get-only/", 405, "method_not_allowed"),
        ("get", "/api/v1/test-boom/", 500, "server_error"),
        ("delete", "/api/v1/spaces/", 405, "method_not_allowed"),  # a DRF view
    ]
    for method, path, status, code in cases:
        # A browser's Accept header on the plain Django ones: still JSON under /api/.
        accept = "application/json" if path == "/api/v1/spaces/" else "text/html,*/*"
        response = getattr(client, method)(path, HTTP_ACCEPT=accept)
        assert response.status_code == status, path
        assert response["Content-Type"].startswith("application/json"), path
        body = response.json()
        assert body["code"] == code and body["message"] and body["fields"] == {}, body
    response = client.post("/api/v1/test-get-only/")
    assert "POST" in response.json()["message"] and "GET" in response.json()["message"]
    assert response["Allow"] == "GET"
    # A page outside /api/ keeps its HTML.
    assert b"<html" in client.get("/no/such/page/", HTTP_ACCEPT="text/html").content.lower()

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

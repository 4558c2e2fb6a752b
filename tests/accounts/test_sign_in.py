"""Sign-in: form errors in words, throttling after repeated failures, role-based navigation."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_wrong_password_shows_a_form_error(client, alice):
    response = client.post(
        "/login/", {"username": "alice", "password": "nope"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 200
    assert b"Wrong username or password" in response.content
    assert "_auth_user_id" not in client.session


def test_right_password_signs_in_and_lands_home(client, alice):
    response = client.post(
        "/login/", {"username": "alice", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account_even_with_the_right_password(client, alice):
    for _ in range(3):
        client.post("/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.0.0.2")
    response = client.post(
        "/login/",
        {"username": "alice", "password": "correct-horse-battery-staple"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("persona", "visible", "hidden"),
    [
        # Employees and analysts see Clusters: its page shows them the read-only summary.
        ("alice", {"spaces", "workloads", "approvals", "clusters"}, {"analytics", "audit"}),
        ("bob", {"spaces", "workloads", "approvals", "clusters"}, {"analytics", "audit"}),
        ("admin_user", {"spaces", "clusters", "analytics", "audit"}, set()),
        ("dana", {"analytics", "clusters"}, {"audit"}),
    ],
)
def test_navigation_follows_the_role(client, request, persona, visible, hidden):
    client.force_login(request.getfixturevalue(persona))
    html = client.get("/").content.decode()
    for section in visible:
        assert f'data-nav="{section}"' in html
    for section in hidden:
        assert f'data-nav="{section}"' not in html


def test_analytics_refused_to_employees(client, alice, dana):
    client.force_login(alice)
    assert client.get("/analytics/").status_code == 403
    client.force_login(dana)
    assert client.get("/analytics/").status_code == 200

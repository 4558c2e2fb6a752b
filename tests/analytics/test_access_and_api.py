"""Only analysts and platform admins see the dashboard and its API; CSV export of every
table; filters are validated with the error envelope."""

import csv
import io

import pytest
from django.test import Client
from django.utils import timezone

from apps.analytics import selectors
from tests.conftest import api_as

pytestmark = pytest.mark.django_db
REPORTS = list(selectors.REPORTS)


def test_anonymous_is_sent_to_sign_in_and_the_api_answers_401(client, api):
    response = client.get("/analytics/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    for name in REPORTS:
        response = api.get(f"/api/v1/analytics/{name}/")
        assert response.status_code == 401, name
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie"])
def test_employees_approvers_and_outsiders_are_refused(persona, request):
    user = request.getfixturevalue(persona)
    client = Client()
    client.force_login(user)
    assert client.get("/analytics/").status_code == 403
    for name in REPORTS:
        response = api_as(user).get(f"/api/v1/analytics/{name}/")
        assert response.status_code == 403, name
        assert response.json() == {
            "message": "Analytics are open to analysts and platform admins.",
            "code": "permission_denied",
            "fields": {},
        }


@pytest.mark.parametrize("persona", ["dana", "admin_user"])
def test_analysts_and_platform_admins_see_everything(persona, request):
    user = request.getfixturevalue(persona)
    client = Client()
    client.force_login(user)
    page = client.get("/analytics/")
    assert page.status_code == 200
    assert b'id="chart-active-users"' in page.content
    assert b"No usage recorded yet" in page.content  # nothing recorded: the empty state
    for name in REPORTS:
        response = api_as(user).get(f"/api/v1/analytics/{name}/")
        assert response.status_code == 200, name
        body = response.json()
        assert {"columns", "rows", "filters"} <= set(body)


def test_every_table_exports_as_csv(dana, alice):
    from apps.analytics.models import DailyUsage

    DailyUsage.objects.create(
        day=timezone.localdate(), user=alice, feature="=spaces.create", source="portal", requests=3
    )
    api = api_as(dana)
    for name in REPORTS:
        response = api.get(f"/api/v1/analytics/{name}/?format=csv")
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == f'attachment; filename="k2-analytics-{name}.csv"'
        header = next(csv.reader(io.StringIO(response.content.decode())))
        assert header == [
            c["label"] for c in api.get(f"/api/v1/analytics/{name}/").json()["columns"]
        ]
    rows = list(
        csv.reader(io.StringIO(api.get("/api/v1/analytics/features/?format=csv").content.decode()))
    )
    assert rows[1][:2] == ["'=spaces.create", "3"]  # formulas are defused


def test_the_page_links_a_csv_for_every_table(dana):
    client = Client()
    client.force_login(dana)
    page = client.get("/analytics/?start=2026-01-01&end=2026-01-31&environment=test").content
    for name in REPORTS:
        assert (
            f"/api/v1/analytics/{name}/?start=2026-01-01&amp;end=2026-01-31&amp;environment=test"
            f"&amp;format=csv".encode()
        ) in page


def test_bad_filters_get_the_error_envelope(dana):
    response = api_as(dana).get("/api/v1/analytics/summary/?start=2026-02-01&end=2026-01-01")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Please correct these fields: start.",
        "code": "invalid",
        "fields": {"start": ["The start of the range must not be after its end."]},
    }
    response = api_as(dana).get("/api/v1/analytics/summary/?environment=moon")
    assert response.status_code == 400
    assert "environment" in response.json()["fields"]


def test_filters_are_applied(dana):
    body = (
        api_as(dana)
        .get("/api/v1/analytics/summary/?start=2026-01-01&end=2026-01-07&environment=prod")
        .json()
    )
    assert body["filters"] == {"start": "2026-01-01", "end": "2026-01-07", "environment": "prod"}
    assert len(body["rows"]) == 7
    assert body["forwarder"]["enabled"] is False


def test_the_page_explains_bad_filters_and_falls_back_to_the_last_30_days(dana):
    client = Client()
    client.force_login(dana)
    response = client.get("/analytics/?start=2026-02-01&end=2026-01-01")
    assert response.status_code == 200
    assert b"The start of the range must not be after its end." in response.content
    assert response.context["filters"].days[-1] == timezone.localdate()
    assert len(response.context["filters"].days) == 30

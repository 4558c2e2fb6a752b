"""Operations endpoints: /healthz, /readyz (503 when Redis is down), /metrics."""

import pytest

from k2cloud.embedded_redis import EmbeddedRedis

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


def test_readyz_503_when_redis_is_stopped(client, settings, tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis").start()
    settings.REDIS_URL = redis.url
    assert client.get("/readyz").status_code == 200

    redis.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert any(problem.startswith("redis:") for problem in body["problems"])


def test_metrics_exposes_prometheus_text(client, settings):
    settings.K2_METRICS_TOKEN = "scrape-token-for-tests"
    client.get("/healthz")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_static_assets_are_served_by_the_app_itself(client):
    """daphne serves no files itself: WhiteNoise must, or the portal has no styles."""
    response = client.get("/static/dist/tabler/tabler.min.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"--tblr-primary" in b"".join(response.streaming_content)

"""Operations endpoints: /healthz (the process answers), /readyz (its dependencies do) and
/metrics (Prometheus text, for a scraper presenting K2_METRICS_TOKEN)."""

import hmac

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView


def _redis_ok() -> str | None:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"redis: {exc.__class__.__name__}: {exc}"
    return None


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return f"database: {exc.__class__.__name__}: {exc}"
    return None


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    problems = [p for p in (_database_ok(), _redis_ok()) if p]
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ok"})


def _bearer(request) -> str:
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@never_cache
def metrics(request):
    """The django-prometheus registry, for whoever presents the metrics token.

    Metrics name clusters, spaces and traffic: an installation without K2_METRICS_TOKEN
    serves them to nobody (fail closed).
    """
    expected = settings.K2_METRICS_TOKEN
    if not expected or not hmac.compare_digest(_bearer(request).encode(), expected.encode()):
        message = (
            _("Present the metrics token: Authorization: Bearer <K2_METRICS_TOKEN>.")
            if expected
            else _("Metrics are off: set K2_METRICS_TOKEN to serve them to a scraper.")
        )
        response = JsonResponse({"message": message, "code": "not_authenticated", "fields": {}},
                                status=401)  # fmt: skip
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return ExportToDjangoView(request)

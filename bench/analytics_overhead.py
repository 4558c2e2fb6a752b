"""Overhead of the analytics UsageMiddleware on portal pages: p95 with and without it.

    SECRET_KEY=bench-secret-key-0123456789abcdef0123456789abcdef0123456789 DEBUG=0 \
      SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=testserver \
      .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/analytics_overhead.py [-n 600]

(tools/test_stack.py provides a throwaway PostgreSQL and an embedded Redis, as in
production; the benchmark migrates that database and sets everything else up itself.)

Two Django test clients share one process, database and Redis: one built with the project's
MIDDLEWARE, one with apps.analytics.middleware.UsageMiddleware removed. Requests are
interleaved (A B, then B A, ...) so drift of the machine affects both alike. Each request
goes through the full stack (sessions, auth, CSRF, view, templates, SQL). The middleware's
per-request cost is an IP truncation (cached), a json.dumps and an append to an in-process
batch that reaches Redis in one LPUSH per 50 events or per second; the drain into the database
happens off the request path and is measured separately (events/s).

Target: p95 with / p95 without < 1.10.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k2cloud.settings")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789abcdef0123456789abcdef0123456789")
os.environ.setdefault("K2_ENCRYPTION_KEYS", "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("AXES_ENABLED", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

MIDDLEWARE = "apps.analytics.middleware.UsageMiddleware"
QUEUE = "k2:bench:analytics"


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def setup_data():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from apps.accounts.roles import Role, ensure_role_groups
    from tests.analytics.factories import make_app, make_cluster, make_space

    ensure_role_groups()
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username="bench-alice")
    if created:
        user.set_password("bench-password-0123")
        user.save()
        user.groups.set(Group.objects.filter(name=Role.EMPLOYEE))
        cluster = make_cluster("bench-test-1", "test")
        for i in range(20):
            space = make_space(f"bench-space-{i}", "test", cluster, user)
            make_app(space, "web", cluster)
    return user


def client_for(middleware: list[str], user) -> Client:
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        client.force_login(user)
        client.get("/")  # builds the handler's middleware chain under this setting
    return client


def run(n: int, path: str, with_mw: Client, without_mw: Client) -> dict:
    timings = {"with": [], "without": []}
    for i in range(n):
        order = (("with", with_mw), ("without", without_mw))
        for name, client in order if i % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            response = client.get(path)
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=600, help="requests per variant and page")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    override_settings(K2_ANALYTICS_QUEUE_KEY=QUEUE).enable()
    from apps.analytics import buffer
    from apps.analytics.services import do_drain_events

    buffer.client().delete(QUEUE)
    user = setup_data()
    full = list(settings.MIDDLEWARE)
    assert MIDDLEWARE in full, "UsageMiddleware is not in settings.MIDDLEWARE"
    with_mw = client_for(full, user)
    without_mw = client_for([m for m in full if m != MIDDLEWARE], user)
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {db}; Redis: {settings.REDIS_URL}; {args.n} requests per variant and page")

    ratios = []
    for path in ("/spaces/", "/"):
        run(50, path, with_mw, without_mw)  # warm-up
        t = run(args.n, path, with_mw, without_mw)
        w95, o95 = p(t["with"], 0.95), p(t["without"], 0.95)
        ratio = w95 / o95
        ratios.append(ratio)
        print(
            f"{path:10} p50 with {statistics.median(t['with']):6.2f} ms  without "
            f"{statistics.median(t['without']):6.2f} ms | p95 with {w95:6.2f} ms  without "
            f"{o95:6.2f} ms | p95 ratio {ratio:.3f} (target < 1.10)"
        )

    samples = 2000
    started = time.perf_counter()
    for _ in range(samples):
        buffer.push({"kind": "request", "feature": "bench", "user": user.pk})
    buffer.flush()
    push_ms = (time.perf_counter() - started) * 1000 / samples
    queued = buffer.depth()
    started = time.perf_counter()
    written = do_drain_events(batch_size=1000, max_batches=1000)
    drain_s = time.perf_counter() - started
    print(f"queueing per event (batched LPUSH included): {push_ms * 1000:.1f} µs")
    print(f"drain: {written} of {queued} queued events written in {drain_s:.2f} s "
          f"({written / drain_s:,.0f} events/s)")  # fmt: skip
    buffer.client().delete(QUEUE)
    print("PASS" if max(ratios) < 1.10 else "FAIL: p95 ratio over 1.10")


if __name__ == "__main__":
    main()

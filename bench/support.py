"""What every benchmark that needs Django does first: settings from the environment (or
bench defaults), the given or a throwaway database and Redis, migrated.

    from bench.support import setup_django   # then: redis_server = setup_django(tmp)

Nothing here imports Django at module level: a benchmark sets it up before anything else.
Clusters are registered through the registration service (`tests.helpers.register`).
"""

from __future__ import annotations

import os
from pathlib import Path

ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "k2cloud.settings",
    "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdefghij",
    "K2_ENCRYPTION_KEYS": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
    "ALLOWED_HOSTS": "localhost",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
}


def setup_django(tmp: Path):
    """DATABASE_URL/REDIS_URL when given, else a SQLite file and an embedded Redis under
    `tmp`; migrated. Returns the embedded Redis to stop at the end (or None)."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    redis_server = None
    if not os.environ.get("REDIS_URL"):
        from k2cloud.embedded_redis import EmbeddedRedis

        redis_server = EmbeddedRedis(tmp / "redis").start()
        os.environ["REDIS_URL"] = redis_server.url
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return redis_server

"""Credentials are ciphertext in the database and survive a key rotation."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from apps.audit.models import AuditEvent
from apps.clusters import gateway
from apps.clusters.choices import Health
from apps.clusters.models import Cluster
from apps.clusters.services import do_probe_cluster
from apps.core import crypto
from tests.clusters.conftest import register

pytestmark = pytest.mark.django_db


def _stored(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM clusters_cluster WHERE name = %s", [name])
        return cursor.fetchone()[0]


def test_credentials_are_not_readable_in_the_database(sim):
    handle = sim["test"]
    register(handle)
    raw = _stored("test")
    assert handle.admin_token not in raw
    assert "BEGIN CERTIFICATE" not in raw and "token" not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM clusters_cluster")
        assert handle.admin_token not in str(cursor.fetchall())
    assert handle.admin_token not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_credentials_survive_a_key_rotation(sim, settings):
    old_key = settings.K2_ENCRYPTION_KEYS[0]
    register(sim["test"])
    before = _stored("test")
    new_key = crypto.generate_key()
    settings.K2_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "re-encrypted the credentials of 1 cluster(s)" in out.getvalue()
    after = _stored("test")
    assert after != before

    settings.K2_ENCRYPTION_KEYS = [new_key]  # the old key is gone: still readable
    cluster = Cluster.objects.get(name="test")
    assert cluster.get_credentials().token == sim["test"].admin_token
    do_probe_cluster(cluster)
    assert cluster.health == Health.READY

    settings.K2_ENCRYPTION_KEYS = [old_key]  # only the old key: the new ciphertext is unreadable
    with pytest.raises(crypto.DecryptionError):
        Cluster.objects.get(name="test").get_credentials()
    gateway.reset()  # a probe now says so in words instead of crashing
    cluster = Cluster.objects.get(name="test")
    do_probe_cluster(cluster)
    assert cluster.health == Health.DEGRADED and "cannot be decrypted" in cluster.last_error
    assert AuditEvent.objects.filter(action="cluster.credentials.rotate").exists()

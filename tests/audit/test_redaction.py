"""Secrets never appear in stored changes: by field name and by the registry, at any depth."""

import json

import pytest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.redaction import REDACTED, register_secret_fields
from apps.audit.services import record

pytestmark = pytest.mark.django_db

SECRETS = [
    "hunter2",
    "k2p_abcdef",
    "s3cr3t",
    "-----BEGIN KEY-----",
    "apiVersion: v1 kubeconfig",
    "ca-bytes",
]


def test_secrets_never_appear_in_stored_changes(alice):
    register_secret_fields("tests.cluster", ["ca_bundle"])
    changes = {
        "name": {"before": "old", "after": "new"},
        "password": {"before": "hunter2", "after": "hunter3"},
        "api_token": {"before": None, "after": "k2p_abcdef"},
        "settings": {
            "after": {
                "client_secret": "s3cr3t",
                "registries": [{"host": "harbor", "privateKey": "-----BEGIN KEY-----"}],
            }
        },
        "kubeconfig": {"after": "apiVersion: v1 kubeconfig"},
        "ca_bundle": {"before": None, "after": "ca-bytes"},
    }
    event = record(
        Actor.for_user(alice), "cluster.update", ("tests.cluster", 1, "prod"), changes=changes
    )

    stored = AuditEvent.objects.get(pk=event.pk).changes
    text = json.dumps(stored)
    for secret in SECRETS:
        assert secret not in text
    assert stored["name"] == {"before": "old", "after": "new"}
    assert stored["password"] == {"before": REDACTED, "after": REDACTED}
    assert stored["api_token"] == {"before": None, "after": REDACTED}
    assert stored["kubeconfig"] == {"after": REDACTED}
    assert stored["settings"]["after"]["registries"][0] == {
        "host": "harbor",
        "privateKey": REDACTED,
    }
    assert stored["ca_bundle"] == {"before": None, "after": REDACTED}


def test_registered_fields_apply_only_to_their_model(alice):
    register_secret_fields("tests.cluster", ["ca_bundle"])
    event = record(
        Actor.for_user(alice), "x.update", ("tests.other", 1, "x"), changes={"ca_bundle": "public"}
    )
    assert event.changes == {"ca_bundle": "public"}

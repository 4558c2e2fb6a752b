"""OIDC sign-in (off by default): the identity provider's group claim sets the platform roles."""

import pytest
from django.test import override_settings

from apps.accounts.roles import user_roles

pytestmark = pytest.mark.django_db

OIDC = {
    "OIDC_RP_CLIENT_ID": "k2cloud",
    "OIDC_RP_CLIENT_SECRET": "not-a-real-secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://sso.example.test/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://sso.example.test/token",
    "OIDC_OP_USER_ENDPOINT": "https://sso.example.test/userinfo",
    "OIDC_RP_SIGN_ALGO": "HS256",
    "OIDC_ROLE_CLAIM": "groups",
}


@override_settings(**OIDC)
def test_new_user_gets_the_roles_named_in_the_claim_and_nothing_else():
    from apps.accounts.oidc import K2OIDCBackend

    claims = {
        "email": "mei@example.test",
        "preferred_username": "mei",
        "groups": ["approver", "finance"],
    }
    user = K2OIDCBackend().create_user(claims)
    assert user.username == "mei"
    assert user_roles(user) == {"approver"}


@override_settings(**OIDC)
def test_roles_follow_the_claim_on_every_sign_in(alice):
    from apps.accounts.oidc import K2OIDCBackend

    backend = K2OIDCBackend()
    backend.update_user(alice, {"groups": ["analyst", "platform-admin"]})
    alice.__dict__.pop("_k2_roles", None)
    assert user_roles(alice) == {"analyst", "platform-admin"}
    backend.update_user(alice, {"groups": []})
    alice.__dict__.pop("_k2_roles", None)
    assert user_roles(alice) == frozenset()
    backend.update_user(alice, {"groups": []})  # unchanged: nothing more recorded

    from apps.audit.models import AuditEvent

    changes = [
        e.changes["roles"]
        for e in AuditEvent.objects.filter(
            action="user.roles.update", target_id=str(alice.pk)
        ).order_by("id")
    ]
    assert changes == [
        {"before": ["employee"], "after": ["analyst", "platform-admin"]},
        {"before": ["analyst", "platform-admin"], "after": []},
    ]

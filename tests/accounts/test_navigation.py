"""The navigation shows exactly what the apps' permission helpers allow, for every role:
an item is shown when, and only when, its page lets the person in."""

import pytest

from apps.accounts.context_processors import navigation_for
from apps.accounts.roles import Role
from apps.analytics.permissions import can_view_analytics
from apps.audit.permissions import can_view_audit
from apps.audit.selectors import register_space_scope, unregister_space_scope
from apps.clusters.permissions import can_view_cluster_summary
from apps.ipam.permissions import can_view_ipam
from apps.reconciler.permissions import can_view_reconciler
from apps.registries.permissions import can_view_registries
from apps.terminal.permissions import can_use_terminals
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PAGES = {
    "spaces": "/spaces/",
    "workloads": "/apps/",
    "events": "/events/",
    "approvals": "/approvals/",
    "clusters": "/clusters/",
    "ipam": "/ipam/",
    "registries": "/registries/",
    "analytics": "/analytics/",
    "reconciler": "/reconciler/",
    "audit": "/audit/",
    "terminal": "/terminal/sessions/",
}
HELPERS = {
    "clusters": can_view_cluster_summary,
    "ipam": can_view_ipam,
    "registries": can_view_registries,
    "analytics": can_view_analytics,
    "reconciler": can_view_reconciler,
    "audit": can_view_audit,
    "terminal": can_use_terminals,
}
EVERYONE = {"spaces", "workloads", "events", "approvals"}

EXPECTED = {
    "employee": EVERYONE | {"clusters", "terminal"},
    "approver": EVERYONE | {"clusters"},
    "analyst": EVERYONE | {"clusters", "analytics"},
    "platform-admin": EVERYONE
    | {"clusters", "ipam", "registries", "analytics", "reconciler", "audit", "terminal"},
    "no role": EVERYONE,
    "space owner": EVERYONE | {"clusters", "audit", "terminal"},
}


@pytest.fixture
def owner_scope():
    """A scope hook granting the user "owner" the events of one space (as owners get)."""

    def scope(user):
        return ["1"] if user.username == "space owner" else []

    register_space_scope(scope)
    yield
    unregister_space_scope(scope)


def _person(django_user_model, persona):
    special = {"no role": [], "space owner": [Role.EMPLOYEE]}
    roles = special[persona] if persona in special else [Role(persona)]
    return make_user(django_user_model, persona, *roles)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_the_navigation_is_what_the_helpers_allow(client, django_user_model, persona, owner_scope):
    user = _person(django_user_model, persona)
    shown = {item["name"] for item in navigation_for(user)}
    from_helpers = EVERYONE | {name for name, allowed in HELPERS.items() if allowed(user)}
    assert shown == from_helpers == EXPECTED[persona]

    client.force_login(user)
    html = client.get("/").content.decode()
    for section, path in PAGES.items():
        assert (f'data-nav="{section}"' in html) == (section in shown), section
        status = client.get(path).status_code
        if section in shown:
            assert status == 200, (section, status)
        else:
            assert status == 403, (section, status)

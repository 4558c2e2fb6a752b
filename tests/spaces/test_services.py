"""The space state machine, bad input refused with nothing written, and the flows through
approvals (production space, quota raise, renewal past the cap) at the service level."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.approvals.models import ApprovalRequest
from apps.approvals.services import do_decide, do_run_handler
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.selectors import events_visible_to
from apps.spaces.choices import TRANSITIONS, SpaceState, can_transition
from apps.spaces.exceptions import SpaceConflict
from apps.spaces.models import Membership, Space
from apps.spaces.provisioning import do_provision_space
from apps.spaces.services import (
    _transition,
    do_create_space,
    do_renew_space,
    do_request_quota,
)
from tests.conftest import api_as
from tests.spaces.conftest import make_space, namespaces

pytestmark = pytest.mark.django_db


# --- state machine ----------------------------------------------------------------------------
def test_the_state_machine_table():
    assert can_transition("pending-approval", "provisioning")
    assert can_transition("provisioning", "active")
    assert can_transition("active", "expiring") and can_transition("expiring", "expired")
    assert can_transition("failed", "provisioning")  # retry
    assert can_transition("deleting", "deleted")
    assert not can_transition("pending-approval", "active")
    assert not can_transition("deleted", "provisioning")
    assert not can_transition("rejected", "provisioning")
    assert TRANSITIONS["deleted"] == frozenset() and TRANSITIONS["rejected"] == frozenset()
    assert set(TRANSITIONS) == set(SpaceState.values)


def test_transitions_are_timestamped_audited_and_refused_when_not_allowed(alice, test_cluster):
    space = make_space(alice, "machine", cluster=test_cluster)
    assert space.state == SpaceState.ACTIVE
    with pytest.raises(SpaceConflict), transaction.atomic():
        _transition(space, SpaceState.PENDING_APPROVAL, actor=Actor.for_user(alice))
    steps = list(space.transitions.values_list("from_state", "to_state"))
    assert steps == [("", "provisioning"), ("provisioning", "active")]
    assert all(t.at for t in space.transitions.all())
    events = AuditEvent.objects.filter(action="space.transition", space_id="machine")
    assert [e.changes["state"]["after"] for e in events.order_by("id")] == ["active"]
    assert AuditEvent.objects.filter(action="space.create", space_id="machine").exists()


def test_a_stale_copy_cannot_move_the_state_twice(alice, test_cluster):
    space = make_space(alice, "stale", cluster=test_cluster)
    stale = Space.objects.get(pk=space.pk)
    with transaction.atomic():
        _transition(space, SpaceState.DELETING, actor=Actor.for_user(alice))
    with pytest.raises(SpaceConflict), transaction.atomic():
        _transition(
            stale, SpaceState.PROVISIONING, actor=Actor.for_user(alice)
        )  # deleting -> provisioning


def test_owners_see_their_space_events_in_the_audit_trail(alice, bob, test_cluster):
    make_space(alice, "audited", cluster=test_cluster)
    assert events_visible_to(alice).filter(space_id="audited").exists()
    assert not events_visible_to(bob).filter(space_id="audited").exists()


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("Team-A", "not a valid name"),
        ("-team", "not a valid name"),
        ("team_a", "not a valid name"),
        ("a" * 64, "at most 63"),
        ("kube-system", "reserved"),
        ("", "Give the space a name"),
    ],
)
def test_invalid_names_are_refused(alice, test_cluster, sim, slug, words):
    response = api_as(alice).post(
        "/api/v1/spaces/", {"slug": slug, "environment": "test", "cluster": "test-1"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert words in " ".join(response.json()["fields"]["slug"])
    assert not Space.objects.exists()


def test_a_taken_name_is_refused(alice, bob, test_cluster):
    make_space(alice, "taken", cluster=test_cluster)
    response = api_as(bob).post(
        "/api/v1/spaces/", {"slug": "taken", "environment": "test"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["slug"] == ["The name 'taken' is taken; choose another one."]
    assert Space.objects.count() == 1


def test_quota_above_the_clusters_allocatable_is_refused(alice, test_cluster, sim):
    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "huge", "environment": "test", "cluster": "test-1",
         "quota": {"cpu": "100000"}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Cluster test-1 can hold at most" in response.json()["fields"]["quota.cpu"][0]
    assert not Space.objects.exists() and namespaces(sim["test"], "huge") == []


def test_a_production_space_on_a_test_cluster_is_refused(alice, clusters, sim):
    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "wrong-place", "environment": "prod", "cluster": "test-1", "reason": "go live"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["cluster"] == [
        "Cluster test-1 is a Test cluster; a Production space needs a Production cluster."
    ]
    assert not Space.objects.exists() and not ApprovalRequest.objects.exists()


def test_a_production_space_needs_a_reason(alice, clusters):
    response = api_as(alice).post(
        "/api/v1/spaces/", {"slug": "no-reason", "environment": "prod"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert not Space.objects.exists()


def test_an_unknown_cluster_and_malformed_quota_are_named(alice, test_cluster):
    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "odd", "environment": "test", "cluster": "nowhere"},
        format="json",
    )
    assert response.json()["fields"]["cluster"] == ["There is no cluster named 'nowhere'."]
    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "odd", "environment": "test", "quota": {"memory": "lots"}},
        format="json",
    )
    assert response.status_code == 400 and "quota.memory" in response.json()["fields"]


def test_analysts_cannot_create_and_the_refusal_is_audited(dana, test_cluster):
    with pytest.raises(PermissionDenied):
        do_create_space(actor=Actor.for_user(dana), slug="analysis", environment="test")
    assert AuditEvent.objects.filter(action="space.create", outcome="denied").exists()


# --- flows ------------------------------------------------------------------------------------
def test_a_test_space_is_active_with_the_policy_defaults(alice, test_cluster, sim):
    response = api_as(alice).post(
        "/api/v1/spaces/", {"slug": "quick", "environment": "test"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "provisioning" and body["primary_cluster"] == "test-1"
    assert body["quota"] == {"cpu": "4", "memory": "8Gi", "pods": 50, "storage": "20Gi"}
    assert body["expires_at"] and body["quota_request"] is None
    assert do_provision_space(body["id"]) == SpaceState.ACTIVE
    assert namespaces(sim["test"], "quick") == ["quick"]


def test_more_than_the_policy_maximum_becomes_a_quota_raise_request(
    alice, admin_user, test_cluster, sim
):
    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "greedy", "environment": "test", "quota": {"cpu": "20", "memory": "40Gi"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["quota"]["cpu"] == "16" and body["quota"]["memory"] == "32Gi"  # the maximum
    request = ApprovalRequest.objects.get(pk=body["quota_request"])
    assert request.kind == "quota.raise" and request.state == "pending"
    assert request.payload["quota"]["cpu"] == "20"

    do_decide(request, actor=Actor.for_user(admin_user), approve=True)
    assert do_run_handler(request.pk)
    space = Space.objects.get(slug="greedy")
    assert (space.quota_cpu, space.quota_memory) == ("20", "40Gi")


def test_a_quota_change_within_the_maximum_applies_at_once(alice, test_cluster):
    space = make_space(alice, "tuned", cluster=test_cluster)
    result = do_request_quota(space, {"cpu": "8", "pods": 80}, actor=Actor.for_user(alice))
    assert result.applied and result.approval is None
    space.refresh_from_db()
    assert (space.quota_cpu, space.quota_pods) == ("8", 80)
    with pytest.raises(ValidationError):
        do_request_quota(
            space, {"cpu": "8", "pods": 80}, actor=Actor.for_user(alice)
        )  # nothing changes
    result = do_request_quota(space, {"cpu": "64"}, actor=Actor.for_user(alice), reason="load test")
    assert not result.applied and result.approval.kind == "quota.raise"
    with pytest.raises(SpaceConflict):
        do_request_quota(space, {"cpu": "48"}, actor=Actor.for_user(alice), reason="again")


def test_the_production_flow_approved(alice, bob, admin_user, clusters, sim):
    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "shop", "environment": "prod", "reason": "Launch of the shop"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending-approval" and body["primary_cluster"] == "prod-1"
    assert body["expires_at"] is None
    request = ApprovalRequest.objects.get(pk=body["approval_request"])
    assert request.kind == "space.create.prod" and request.payload["space_id"] == body["id"]
    assert namespaces(sim["prod"], "shop") == []

    do_decide(request, actor=Actor.for_user(bob), approve=True, comment="fine")
    request.refresh_from_db()
    assert request.state == "pending"  # step 2: the platform team
    do_decide(request, actor=Actor.for_user(admin_user), approve=True)
    assert do_run_handler(request.pk)
    assert not do_run_handler(request.pk)  # exactly once
    space = Space.objects.get(pk=body["id"])
    assert space.state == SpaceState.PROVISIONING
    assert do_provision_space(space.pk) == SpaceState.ACTIVE
    assert namespaces(sim["prod"], "shop") == ["shop"]
    requests = api_as(alice).get("/api/v1/spaces/shop/requests/").json()
    assert [d["approver"] for d in requests[0]["decisions"]] == ["bob", "root"]


def test_the_production_flow_rejected_says_who_and_why(alice, bob, clusters, sim):
    result = do_create_space(
        actor=Actor.for_user(alice), slug="risky", environment="prod", reason="try"
    )
    do_decide(
        result.approval, actor=Actor.for_user(bob), approve=False, comment="Use the staging cluster"
    )
    do_run_handler(result.approval.pk)
    space = Space.objects.get(pk=result.space.pk)
    assert space.state == SpaceState.REJECTED
    assert space.transitions.last().message == "Rejected by bob: Use the staging cluster"
    assert namespaces(sim["prod"], "risky") == []
    # The name is free again.
    assert do_create_space(
        actor=Actor.for_user(alice), slug="risky", environment="prod", reason="again"
    )


def test_renewal_within_the_cap_and_past_it(alice, bob, test_cluster):
    space = make_space(alice, "renewed", cluster=test_cluster)
    first_expiry = space.expires_at
    result = do_renew_space(space, actor=Actor.for_user(alice))
    assert result.applied
    space.refresh_from_db()
    assert space.renewals_used == 1
    assert space.expires_at - first_expiry == timedelta(days=7)
    # Near the 90-day cap: the next renewal needs an approval.
    Space.objects.filter(pk=space.pk).update(created_at=timezone.now() - timedelta(days=85))
    space.refresh_from_db()
    result = do_renew_space(space, actor=Actor.for_user(alice), reason="release week")
    assert not result.applied and result.approval.kind == "space.renew.beyond_cap"
    with pytest.raises(SpaceConflict):
        do_renew_space(space, actor=Actor.for_user(alice))
    before = space.expires_at
    do_decide(result.approval, actor=Actor.for_user(bob), approve=True)
    do_run_handler(result.approval.pk)
    space.refresh_from_db()
    assert space.renewals_used == 2 and space.expires_at - before == timedelta(days=7)
    # Analysts count renewals and final decisions from the domain events.
    from apps.analytics.models import UsageEvent

    assert UsageEvent.objects.filter(feature="space.renewed", space_slug="renewed").count() == 2
    decided = UsageEvent.objects.get(feature="request.decided")
    assert decided.props == {"kind": "space.renew.beyond_cap", "state": "approved"}


def test_production_spaces_never_expire_so_cannot_be_renewed(alice, admin_user, clusters):
    result = do_create_space(
        actor=Actor.for_user(admin_user), slug="forever", environment="prod", reason="x"
    )
    Space.objects.filter(pk=result.space.pk).update(state=SpaceState.ACTIVE)
    result.space.refresh_from_db()
    with pytest.raises(SpaceConflict):
        do_renew_space(result.space, actor=Actor.for_user(admin_user))


def test_transfer_keeps_the_old_owner_as_admin(alice, bob, test_cluster):
    from apps.spaces.permissions import can
    from apps.spaces.services import do_transfer_space

    space = make_space(alice, "handover", cluster=test_cluster)
    do_transfer_space(space, bob, actor=Actor.for_user(alice))
    roles = dict(Membership.objects.filter(space=space).values_list("user__username", "role"))
    assert roles == {"alice": "admin", "bob": "owner"}
    assert can(bob, "delete", space) and not can(alice, "delete", space)
    assert can(alice, "manage_members", space)


def test_no_terminal_in_production(alice, admin_user, clusters):
    from apps.spaces.permissions import can

    result = do_create_space(
        actor=Actor.for_user(alice), slug="prod-term", environment="prod", reason="x"
    )
    assert not can(alice, "terminal", result.space) and can(alice, "deploy", result.space)
    test_space = make_space(alice, "test-term", cluster=clusters["test"])
    assert can(alice, "terminal", test_space)


def test_space_owners_is_an_approver_role(alice, bob, test_cluster):
    from apps.approvals.registry import get_resolver

    space = make_space(alice, "owned", cluster=test_cluster)
    resolver = get_resolver("space-owners")
    request = type("R", (), {"payload": {"space_id": space.pk}})()
    assert list(resolver.users(request)) == [alice]
    assert resolver.requests_for(bob) is not None


def test_any_sequence_of_moves_follows_the_table(alice, test_cluster):
    """Property: whatever moves are attempted, a space only takes the table's transitions,
    and its timeline is one unbroken path."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    class Rollback(Exception):
        pass

    base = do_create_space(actor=Actor.for_user(alice), slug="walker", environment="test").space

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(st.lists(st.sampled_from(SpaceState.values), max_size=12))
    def walk(moves):
        try:
            with transaction.atomic():
                space = Space.objects.get(pk=base.pk)
                for target in moves:
                    before = space.state
                    try:
                        with transaction.atomic():
                            _transition(space, target, actor=Actor.for_user(alice))
                        assert can_transition(before, target)
                    except SpaceConflict:
                        assert not can_transition(before, target)
                        assert Space.objects.get(pk=base.pk).state == before
                steps = list(space.transitions.order_by("at", "id"))
                for earlier, later in zip(steps, steps[1:], strict=False):
                    assert later.from_state == earlier.to_state
                assert steps[-1].to_state == Space.objects.get(pk=base.pk).state
                raise Rollback
        except Rollback:
            pass

    walk()


def test_retry_reapplies_an_active_space_whose_cluster_failed(alice, test_cluster):
    from apps.spaces.models import SpaceCluster
    from apps.spaces.services import do_retry_space

    space = make_space(alice, "half-ok", cluster=test_cluster)
    with pytest.raises(SpaceConflict):
        do_retry_space(space, actor=Actor.for_user(alice))  # nothing failed
    SpaceCluster.objects.filter(space=space).update(status="failed", error="Cluster test-1: x")
    do_retry_space(space, actor=Actor.for_user(alice))
    assert space.state == SpaceState.ACTIVE
    assert AuditEvent.objects.filter(action="space.retry", space_id="half-ok").exists()
    assert do_provision_space(space.pk) == SpaceState.ACTIVE
    assert space.placements.get().status == "ready"

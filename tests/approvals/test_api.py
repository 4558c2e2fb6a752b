"""The approvals API with personas: refused first (anonymous, outsider, wrong role), then
allowed; exact status codes, the error envelope, the database and the audit rows."""

import pytest

from apps.accounts.roles import Role
from apps.approvals.choices import RequestState
from apps.approvals.models import ApprovalRequest, WorkflowDefinition
from apps.approvals.registry import unregister_kind
from apps.approvals.services import do_decide
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from tests.approvals.factories import make_workflow, register_test_kind, submit
from tests.conftest import api_as, make_user
from tests.contract.openapi import ContractAPIClient as APIClient

pytestmark = pytest.mark.django_db
BASE = "/api/v1/approvals/requests/"


@pytest.fixture
def erin(django_user_model):
    return make_user(django_user_model, "erin", Role.EMPLOYEE, Role.APPROVER)


@pytest.fixture
def pending(workflow, alice):
    return submit(alice)


def decide(user, request, verdict="approve", comment="looks fine"):
    return api_as(user).post(
        f"{BASE}{request.pk}/decide/", {"verdict": verdict, "comment": comment}, format="json"
    )


def test_anonymous_is_refused(pending):
    client = APIClient()
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}{pending.pk}/").status_code == 401
    assert client.post(f"{BASE}{pending.pk}/decide/", {"verdict": "approve"}).status_code == 401


def test_requests_the_caller_may_not_see_are_404(pending, charlie, dana):
    for user in (charlie, dana):
        client = api_as(user)
        assert client.get(f"{BASE}{pending.pk}/").status_code == 404
        assert decide(user, pending).status_code == 404
        assert client.post(f"{BASE}{pending.pk}/cancel/").status_code == 404
        assert client.get(BASE).json()["count"] == 0
    assert api_as(charlie).get(f"{BASE}999999/").json()["code"] == "not_found"


def test_decision_permission_matrix(
    pending, alice, bob, erin, admin_user, handlers, django_capture_on_commit_callbacks
):
    own = decide(alice, pending)
    assert own.status_code == 403
    assert own.json() == {
        "message": "You cannot decide your own request.",
        "code": "permission_denied",
        "fields": {},
    }
    not_approver = decide(admin_user, pending)
    assert not_approver.status_code == 403
    assert "not an approver of step 1" in not_approver.json()["message"]

    with django_capture_on_commit_callbacks(execute=True):
        ok = decide(bob, pending)
    assert ok.status_code == 200, ok.json()
    body = ok.json()
    assert body["state"] == "approved" and body["current_step"] is None
    assert body["steps"][0]["status"] == "done"
    assert body["decisions"][0] | {"id": 0, "created_at": ""} == {
        "id": 0, "step": 1, "approver": "bob", "verdict": "approve",
        "comment": "looks fine", "created_at": "",
    }  # fmt: skip
    assert handlers.approved[pending.pk] == 1

    for user in (bob, erin):
        again = decide(user, pending)
        assert again.status_code == 409
        assert again.json()["code"] == "conflict"
        assert again.json()["message"] == (
            "This request is already approved; it takes no more decisions."
        )
    assert handlers.approved[pending.pk] == 1
    assert AuditEvent.objects.filter(action="approval.approve", outcome="denied").count() == 4


def test_deciding_twice_at_a_step_is_409(handlers, alice, bob, erin):
    make_workflow("test.thing", {"approvers": "approver", "quorum": "count", "quorum_count": 2})
    request = submit(alice)
    assert decide(bob, request).json()["state"] == "pending"
    twice = decide(bob, request)
    assert twice.status_code == 409
    assert twice.json()["message"] == "You already decided step 1 (Step 1) of this request."
    assert decide(erin, request).json()["state"] == "approved"


def test_bad_decisions_are_400_with_field_names(pending, bob):
    no_comment = decide(bob, pending, verdict="reject", comment="")
    assert no_comment.status_code == 400
    assert list(no_comment.json()["fields"]) == ["comment"]
    bad_verdict = decide(bob, pending, verdict="maybe")
    assert bad_verdict.status_code == 400 and list(bad_verdict.json()["fields"]) == ["verdict"]
    rejected = decide(bob, pending, verdict="reject", comment="Use a test space first")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"


def test_submit(workflow, alice, bob):
    client = api_as(alice)
    created = client.post(
        BASE,
        {"kind": "test.thing", "payload": {"size": 4}, "reason": "load test",
         "target_type": "spaces.space", "target_id": "team-a", "target_name": "Team A"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "pending" and body["payload"] == {"size": 4}
    assert body["description"] == "Thing of size 4"
    assert body["target"] == {"type": "spaces.space", "id": "team-a", "name": "Team A"}
    assert body["can_cancel"] is True and body["can_decide"] is False
    assert body["steps"][0]["status"] == "current" and body["steps"][0]["required"] == 1
    assert ApprovalRequest.objects.get(pk=body["id"]).requester == alice
    assert api_as(bob).get(BASE, {"scope": "inbox"}).json()["count"] == 1

    bad = client.post(
        BASE, {"kind": "test.thing", "payload": {"size": 0}, "reason": "x"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"payload.size": ["Size must be a whole number from 1 to 10."]}
    no_reason = client.post(BASE, {"kind": "test.thing", "payload": {"size": 1}}, format="json")
    assert no_reason.status_code == 400 and list(no_reason.json()["fields"]) == ["reason"]


def test_kinds_without_direct_submission_are_refused(alice):
    register_test_kind("test.indirect", direct=False)
    make_workflow("test.indirect")
    try:
        for kind in ("test.indirect", "space.create.prod", "nope"):
            response = api_as(alice).post(
                BASE, {"kind": kind, "payload": {"size": 1}, "reason": "x"}, format="json"
            )
            assert response.status_code == 400 and list(response.json()["fields"]) == ["kind"]
    finally:
        unregister_kind("test.indirect")
    assert not ApprovalRequest.objects.exists()


def test_cancel(pending, alice, bob):
    assert api_as(bob).post(f"{BASE}{pending.pk}/cancel/").status_code == 403
    ok = api_as(alice).post(f"{BASE}{pending.pk}/cancel/")
    assert ok.status_code == 200 and ok.json()["state"] == "cancelled"
    assert api_as(alice).post(f"{BASE}{pending.pk}/cancel/").status_code == 409
    assert decide(bob, pending).status_code == 409


def test_list_scopes_and_filters(workflow, alice, bob, charlie, admin_user):
    first, second = submit(alice), submit(charlie)
    do_decide(first, actor=Actor.for_user(bob), approve=True)

    def ids(user, **params):
        response = api_as(user).get(BASE, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(alice) == [first.pk]
    assert ids(alice, scope="mine") == [first.pk]
    assert ids(bob, scope="inbox") == [second.pk]
    assert ids(bob) == [second.pk, first.pk]
    assert ids(bob, state="approved") == [first.pk]
    assert ids(admin_user, scope="all", kind="test.thing") == [second.pk, first.pk]
    assert ids(admin_user, scope="all", kind="quota.raise") == []
    assert api_as(bob).get(BASE, {"scope": "all"}).status_code == 403
    bad = api_as(bob).get(BASE, {"scope": "everything", "state": "done"})
    assert bad.status_code == 400 and sorted(bad.json()["fields"]) == ["scope", "state"]


def test_list_costs_a_constant_number_of_queries(
    workflow, alice, bob, django_assert_max_num_queries
):
    for _ in range(3):
        submit(alice)
    client = api_as(bob)
    client.get(BASE)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(8) as few:
        client.get(BASE)
    for _ in range(20):
        submit(alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(BASE).json()["count"] == 23


def test_definitions_for_platform_admins_only(alice, bob, admin_user):
    url = "/api/v1/approvals/definitions/"
    for user in (alice, bob):
        assert api_as(user).get(url).status_code == 403
        assert api_as(user).patch(f"{url}quota.raise/", {"name": "x"}).status_code == 403
    listed = api_as(admin_user).get(url).json()["results"]
    assert {d["kind"] for d in listed} >= {
        "space.create.prod", "quota.raise", "space.renew.beyond_cap",
    }  # fmt: skip
    prod = api_as(admin_user).get(f"{url}space.create.prod/").json()
    assert [(s["name"], s["approvers"]) for s in prod["steps"]] == [
        ("Team lead", "approver"),
        ("Platform team", "platform-admin"),
    ]
    assert prod["steps"][0]["escalate_to"] == "platform-admin"

    bad = api_as(admin_user).patch(
        f"{url}quota.raise/",
        {"steps": [{"name": "Owners", "approvers": "no-such-role"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert list(bad.json()["fields"]) == ["steps[0].approvers"]

    ok = api_as(admin_user).patch(
        f"{url}quota.raise/",
        {"name": "Quota raise (2 steps)", "steps": [
            {"name": "Lead", "approvers": "approver", "deadline": "2 00:00:00",
             "remind_after": "1 00:00:00", "escalate_to": "platform-admin"},
            {"name": "Admins", "approvers": "platform-admin", "quorum": "count",
             "quorum_count": 2},
        ]},
        format="json",
    )  # fmt: skip
    assert ok.status_code == 200, ok.json()
    assert ok.json()["updated_by"] == "root"
    definition = WorkflowDefinition.objects.get(kind="quota.raise")
    assert definition.name == "Quota raise (2 steps)"
    assert [s.quorum_count for s in definition.steps.all()] == [1, 2]
    assert AuditEvent.objects.filter(action="approval.definition.update").count() == 1


def test_the_schema_documents_the_endpoints(admin_user):
    schema = api_as(admin_user).get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/approvals/requests/{id}/decide/" in paths
    assert "409" in paths["/api/v1/approvals/requests/{id}/decide/"]["post"]["responses"]
    assert "/api/v1/approvals/definitions/{kind}/" in paths


def test_state_values_are_the_enum(pending):
    assert pending.state == RequestState.PENDING


def test_approvers_of_another_step_are_403(handlers, alice, bob, admin_user):
    make_workflow("test.thing", {"approvers": "approver"}, {"approvers": "platform-admin"})
    request = submit(alice)
    assert decide(admin_user, request).status_code == 403  # step 2's approver, at step 1
    assert decide(bob, request).json()["current_step"] == 2
    refused = decide(bob, request)  # step 1's approver, now at step 2
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "You are not an approver of step 2 (Step 2) of this request."
    )
    assert decide(admin_user, request).json()["state"] == "approved"
    assert decide(alice, request).status_code == 403  # own request, even once decided

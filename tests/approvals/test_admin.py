"""The Django admin edits workflows through the engine's service: the same validation as the
portal and the API (errors shown on the page, nothing saved), the same audit event."""

import pytest
from django.contrib.auth.models import Group

from apps.accounts.roles import Role, ensure_role_groups
from apps.approvals.models import WorkflowDefinition
from apps.audit.models import AuditEvent
from tests.approvals.factories import make_workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(client, django_user_model):
    """A staff platform admin (a superuser, so the admin shows every model to them)."""
    ensure_role_groups()
    user = django_user_model.objects.create_superuser("ops", "ops@example.test", "pw-12345678")
    user.groups.add(Group.objects.get(name=Role.PLATFORM_ADMIN))
    client.force_login(user)
    return user


@pytest.fixture
def definition():
    return make_workflow("test.admin", {"approvers": "approver", "name": "Leads"})


def _post(definition, *steps, delete=(), name=None):
    """The change form as the admin page posts it: the definition and its inline steps."""
    existing = list(definition.steps.order_by("order"))
    data = {
        "kind": definition.kind,  # read-only on the page; posted as an older form would
        "name": name if name is not None else definition.name,
        "description": definition.description,
        "is_active": "on",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(existing)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, step in enumerate(steps):
        row = {
            "order": str(i + 1), "name": "", "approvers": "approver", "quorum": "any",
            "quorum_count": "1", "deadline": "", "remind_after": "", "escalate_to": "",
            **step,
        }  # fmt: skip
        if i < len(existing):
            row["id"] = str(existing[i].pk)
            if i in delete:
                row["DELETE"] = "on"
        row["definition"] = str(definition.pk)
        data.update({f"steps-{i}-{key}": value for key, value in row.items()})
    return data


def _url(definition):
    return f"/admin/approvals/workflowdefinition/{definition.pk}/change/"


def _steps(definition):
    return [(s.name, s.approvers, s.deadline) for s in definition.steps.order_by("order")]


def test_removing_every_step_is_refused_with_the_services_message(
    client, platform_admin, definition
):
    response = client.post(_url(definition), _post(definition, {"name": "Leads"}, delete=[0]))
    assert response.status_code == 200  # the form again, with the error
    assert "A workflow needs at least one step." in response.content.decode()
    assert _steps(definition) == [("Leads", "approver", None)]
    assert not AuditEvent.objects.filter(action="approval.definition.update").exists()


def test_a_step_the_service_refuses_is_not_saved(client, platform_admin, definition):
    response = client.post(
        _url(definition), _post(definition, {"name": "Leads", "deadline": "00:00:00"})
    )
    assert response.status_code == 200
    assert "Give a positive duration, or leave it empty." in response.content.decode()
    assert _steps(definition) == [("Leads", "approver", None)]


def test_a_valid_change_goes_through_the_service_and_is_audited(client, platform_admin, definition):
    response = client.post(
        _url(definition),
        _post(
            definition,
            {"name": "Leads"},
            {"name": "Platform", "approvers": "platform-admin", "deadline": "1 00:00:00"},
            name="Two steps",
        ),
    )
    assert response.status_code == 302
    definition.refresh_from_db()
    assert definition.name == "Two steps" and definition.updated_by == platform_admin
    assert [(n, a) for n, a, _d in _steps(definition)] == [
        ("Leads", "approver"),
        ("Platform", "platform-admin"),
    ]
    event = AuditEvent.objects.get(action="approval.definition.update")
    assert event.actor_name == "ops" and event.outcome == "succeeded"
    assert event.changes["name"] == {"before": "test.admin", "after": "Two steps"}
    assert len(event.changes["steps"]["after"]) == 2


def test_workflows_are_neither_added_nor_deleted_in_the_admin(client, platform_admin, definition):
    assert client.get("/admin/approvals/workflowdefinition/add/").status_code == 403
    delete = f"/admin/approvals/workflowdefinition/{definition.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert WorkflowDefinition.objects.filter(pk=definition.pk).exists()

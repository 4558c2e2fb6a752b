"""Portal pages of approvals through Django's test client."""

import pytest
from django.urls import reverse

from apps.approvals.choices import RequestState
from apps.approvals.models import Notification, WorkflowDefinition
from apps.audit.models import AuditEvent
from tests.approvals.factories import submit

pytestmark = pytest.mark.django_db


def rows(response) -> list[int]:
    return [r.pk for r in response.context["page"].object_list]


def test_inbox_tabs_and_filters(client, workflow, alice, bob, charlie, admin_user):
    mine, other = submit(alice), submit(charlie)
    inbox = reverse("approvals:inbox")

    client.force_login(bob)
    response = client.get(inbox)
    assert response.status_code == 200
    assert rows(response) == [other.pk, mine.pk]
    assert b'data-testid="inbox-count">2<' in response.content
    assert b'data-tab="all"' not in response.content
    assert rows(client.get(inbox, {"tab": "all"})) == [other.pk, mine.pk]  # falls back to inbox
    assert b"waits for your decision" in response.content  # notifications

    client.force_login(alice)
    assert rows(client.get(inbox)) == []
    assert rows(client.get(inbox, {"tab": "mine"})) == [mine.pk]
    assert rows(client.get(inbox, {"tab": "mine", "state": "approved"})) == []

    client.force_login(admin_user)
    response = client.get(inbox, {"tab": "all", "kind": "test.thing"})
    assert rows(response) == [other.pk, mine.pk] and b'data-tab="all"' in response.content
    partial = client.get(inbox, {"tab": "all", "state": "pending"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"approval-table" in partial.content


def test_detail_is_404_for_outsiders(client, workflow, alice, charlie):
    request = submit(alice)
    client.force_login(charlie)
    assert client.get(reverse("approvals:detail", args=[request.pk])).status_code == 404
    url = reverse("approvals:decide", args=[request.pk])
    assert client.post(url, {"verdict": "approve"}).status_code == 404


def test_approver_decides_from_the_detail_page(client, workflow, alice, bob):
    request = submit(alice)
    client.force_login(bob)
    detail = client.get(reverse("approvals:detail", args=[request.pk]))
    assert detail.status_code == 200 and detail.context["may_decide"]
    assert b'data-testid="decision-form"' in detail.content
    assert not Notification.objects.filter(user=bob, read_at__isnull=True).exists()

    response = client.post(
        reverse("approvals:decide", args=[request.pk]),
        {"verdict": "approve", "comment": "Go ahead"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"You approved request" in response.content
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert request.decisions.get().comment == "Go ahead"
    again = client.post(
        reverse("approvals:decide", args=[request.pk]), {"verdict": "approve"}, follow=True
    )
    assert b"already approved" in again.content


def test_refusals_are_shown_not_raised(client, workflow, alice, bob):
    request = submit(alice)
    client.force_login(alice)
    page = client.get(reverse("approvals:detail", args=[request.pk]))
    assert not page.context["may_decide"] and page.context["may_cancel"]
    response = client.post(
        reverse("approvals:decide", args=[request.pk]), {"verdict": "approve"}, follow=True
    )
    assert b"You cannot decide your own request." in response.content
    client.force_login(bob)
    response = client.post(
        reverse("approvals:decide", args=[request.pk]), {"verdict": "reject"}, follow=True
    )
    assert b"Say why you reject it" in response.content
    assert AuditEvent.objects.filter(action="approval.approve", outcome="denied").count() == 1


def test_requester_cancels_from_the_portal(client, workflow, alice, bob):
    request = submit(alice)
    client.force_login(bob)
    client.post(reverse("approvals:cancel", args=[request.pk]))
    request.refresh_from_db()
    assert request.state == RequestState.PENDING
    client.force_login(alice)
    response = client.post(reverse("approvals:cancel", args=[request.pk]), follow=True)
    assert b"You cancelled request" in response.content
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED


def test_mark_notifications_read(client, workflow, alice, bob):
    submit(alice)
    client.force_login(bob)
    client.post(reverse("approvals:notifications-read"))
    assert not Notification.objects.filter(user=bob, read_at__isnull=True).exists()
    assert (
        b'data-testid="approval-notifications"'
        not in client.get(reverse("approvals:inbox")).content
    )


def test_platform_admins_edit_workflows_in_the_portal(client, bob, admin_user):
    client.force_login(bob)
    assert client.get(reverse("approvals:workflows")).status_code == 403
    url = reverse("approvals:workflow-edit", args=["quota.raise"])
    assert client.post(url, {}).status_code == 403

    client.force_login(admin_user)
    page = client.get(reverse("approvals:workflows"))
    assert page.status_code == 200 and b'data-kind="space.create.prod"' in page.content
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "name": "Quota raise",
        "description": "",
        "is_active": "on",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "1",
        "steps-0-name": "Lead",
        "steps-0-approvers": "approver",
        "steps-0-quorum": "any",
        "steps-0-quorum_count": "1",
        "steps-0-deadline": "2 00:00:00",
        "steps-0-remind_after": "1 00:00:00",
        "steps-0-escalate_to": "platform-admin",
        "steps-1-name": "Admins",
        "steps-1-approvers": "nobody-such",
        "steps-1-quorum": "count",
        "steps-1-quorum_count": "2",
        # the blank extra row, as the browser sends it
        "steps-2-name": "",
        "steps-2-approvers": "",
        "steps-2-quorum": "any",
        "steps-2-quorum_count": "1",
        "steps-2-deadline": "",
        "steps-2-remind_after": "",
        "steps-2-escalate_to": "",
    }
    bad = client.post(url, data)
    assert bad.status_code == 200
    assert b"neither a group nor a known approver role" in bad.content
    data["steps-1-approvers"] = "platform-admin"
    ok = client.post(url, data)
    assert ok.status_code == 302
    steps = WorkflowDefinition.objects.get(kind="quota.raise").steps.all()
    assert [(s.name, s.approvers, s.quorum_count) for s in steps] == [
        ("Lead", "approver", 1),
        ("Admins", "platform-admin", 2),
    ]
    data["steps-1-DELETE"] = "on"
    client.post(url, data)
    assert WorkflowDefinition.objects.get(kind="quota.raise").steps.count() == 1

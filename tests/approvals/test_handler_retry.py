"""A failed on-approved handler is shown on the request and platform admins can retry it."""

import pytest

from apps.approvals.models import ApprovalRequest
from apps.approvals.registry import unregister_kind
from apps.approvals.services import do_decide, do_run_handler
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from tests.approvals.factories import (
    KIND,
    CountingHandlers,
    make_workflow,
    register_test_kind,
    submit,
)
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


class FailsOnce(CountingHandlers):
    """A handler whose first run fails, as when the target cluster is briefly down."""

    failed = False

    def on_approved(self, request):
        if not self.failed:
            self.failed = True
            raise RuntimeError("cluster prod unreachable")
        super().on_approved(request)


@pytest.fixture
def handlers():
    flaky = register_test_kind(handlers=FailsOnce())
    make_workflow()
    yield flaky
    unregister_kind(KIND)


@pytest.fixture
def failed_request(handlers, alice, bob):
    request = submit(alice)
    do_decide(request, actor=Actor.for_user(bob), approve=True)
    with pytest.raises(RuntimeError):
        do_run_handler(request.pk)
    request.refresh_from_db()
    assert request.handled_at is None and "cluster prod unreachable" in request.handler_error
    return request


def test_admin_sees_the_error_and_retries_from_the_portal(
    client, failed_request, admin_user, handlers, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    page = client.get(f"/approvals/{failed_request.pk}/").content.decode()
    assert 'data-testid="handler-error"' in page and "cluster prod unreachable" in page
    assert 'data-testid="retry-handler"' in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/approvals/{failed_request.pk}/retry-handler/")
    failed_request.refresh_from_db()
    assert failed_request.handled_at is not None and failed_request.handler_error == ""
    assert handlers.approved[failed_request.pk] == 1
    assert (
        AuditEvent.objects.filter(action="approval.handler.retry", outcome="succeeded").count() == 1
    )


def test_only_platform_admins_retry_and_a_handled_request_is_a_conflict(
    failed_request, alice, admin_user, django_capture_on_commit_callbacks
):
    response = api_as(alice).post(f"/api/v1/approvals/requests/{failed_request.pk}/retry-handler/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="approval.handler.retry", outcome="denied").count() == 1

    url = f"/api/v1/approvals/requests/{failed_request.pk}/retry-handler/"
    with django_capture_on_commit_callbacks(execute=True):
        assert api_as(admin_user).post(url).status_code == 202
    again = api_as(admin_user).post(
        f"/api/v1/approvals/requests/{failed_request.pk}/retry-handler/"
    )
    assert again.status_code == 409
    assert ApprovalRequest.objects.get(pk=failed_request.pk).handled_at is not None

"""The Approvals item in the navigation counts the requests waiting for the user's decision."""

import pytest

from apps.approvals.registry import unregister_kind
from tests.approvals.factories import KIND, make_workflow, register_test_kind, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_kind():
    register_test_kind()
    make_workflow()
    yield
    unregister_kind(KIND)


def test_approver_sees_a_badge_with_the_pending_count(client, test_kind, alice, bob):
    client.force_login(bob)
    assert 'data-testid="nav-badge-approvals"' not in client.get("/").content.decode()

    submit(alice)
    submit(alice, size=4)
    html = client.get("/").content.decode()
    assert 'data-testid="nav-badge-approvals"' in html
    assert 'title="Waiting for you">2</span>' in html


def test_requester_gets_no_badge_for_their_own_request(client, test_kind, alice, bob):
    submit(alice)
    client.force_login(alice)
    assert 'data-testid="nav-badge-approvals"' not in client.get("/").content.decode()

"""A private Redis queue per test, drained into the database on demand."""

import uuid

import pytest

from apps.analytics import buffer


@pytest.fixture(autouse=True)
def analytics_queue(settings):
    """Each test gets its own queue key on the suite's Redis, removed afterwards."""
    key = f"k2:test:analytics:{uuid.uuid4().hex}"
    settings.K2_ANALYTICS_QUEUE_KEY = key
    settings.K2_ANALYTICS_FORWARD_URL = ""
    buffer.reset_client()
    yield key
    try:
        buffer.flush()
        buffer.client().delete(key)
    finally:
        buffer.reset_client()


@pytest.fixture
def drain(db):
    """Move everything queued so far into UsageEvent rows; returns the count written."""
    from apps.analytics.services import do_drain_events

    return do_drain_events

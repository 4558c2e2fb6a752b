"""Pure parts: what makes two events the same, what a pod's status says, the memory
figures, rule matching and the outbound-URL guard."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from apps.events.fingerprint import (
    MAX_MESSAGE,
    fingerprint,
    from_event,
    from_pod,
    normalize_message,
    workload_name,
)  # fmt: skip
from apps.events.memory import parse_prometheus
from apps.events.rules import matches
from apps.events.urlguard import check_url

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "name", "expected"), [
    ("Pod", "web-7d9f8c6b4-x2kqz", "web"),
    ("Pod", "web-x2kqz", "web"),
    ("Pod", "db-0", "db"),
    ("Pod", "shop", "shop"),
    ("Deployment", "web-7d9f8c6b4-x2kqz", "web-7d9f8c6b4-x2kqz"),
])  # fmt: skip
def test_pod_hashes_are_stripped_from_names(kind, name, expected):
    assert workload_name(kind, name) == expected


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Back-off restarting failed container web in pod web-1_ns(3f0c7a2e-1b2c-4d5e-8f90-123456789abc)",
     "Back-off restarting failed container web in pod web-2_ns(9a0c7a2e-1b2c-4d5e-8f90-123456789abc)", True),
    ("Killed process 1234 (java)", "Killed process 98 (java)", True),
    ("0/3 nodes are available: 3 Insufficient memory.", "0/5 nodes are available: 5 Insufficient memory.", True),
    ("Killed process 1 (java)", "Killed process 1 (python)", False),
])  # fmt: skip
def test_messages_differing_in_numbers_and_ids_merge(a, b, same):
    fa = fingerprint("c", "ns", "Pod", "web-7d9f8c6b4-x2kqz", "BackOff", a)
    fb = fingerprint("c", "ns", "Pod", "web-7d9f8c6b4-q7k9z", "BackOff", b)
    assert (fa == fb) is same


@given(st.text(max_size=200), st.integers(min_value=0, max_value=10**9))
def test_numbers_never_change_a_fingerprint(text, number):
    base = fingerprint("c", "ns", "Pod", "p", "R", f"{text} {number}")
    assert base == fingerprint("c", "ns", "Pod", "p", "R", f"{text} {number + 1}")


@given(st.text(max_size=20000))
def test_normalizing_is_bounded_and_idempotent(text):
    once = normalize_message(text)
    assert len(once) <= MAX_MESSAGE
    assert normalize_message(once) == once


def _event(**over):
    event = {"metadata": {"uid": "u1", "namespace": "ns", "name": "web.1"},
             "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "ns"},
             "reason": "BackOff", "message": "m", "type": "Warning", "count": 4,
             "lastTimestamp": "2026-12-01T11:59:00Z", "source": {"component": "kubelet"}}  # fmt: skip
    event.update(over)
    return event


def test_an_event_becomes_an_occurrence_with_its_cumulative_count():
    occ = from_event("c", _event(), NOW)
    assert (occ.reason, occ.type, occ.source_count, occ.source) == (
        "BackOff",
        "Warning",
        4,
        "event:u1",
    )
    assert occ.at == datetime(2026, 12, 1, 11, 59, tzinfo=UTC)


@pytest.mark.parametrize("bad", [
    {"reason": ""}, {"involvedObject": {}}, {"involvedObject": "x"}, {"count": "many"},
    {"lastTimestamp": "yesterday"},
])  # fmt: skip
def test_malformed_events_are_dropped_or_repaired(bad):
    occ = from_event("c", _event(**bad), NOW)
    if "reason" in bad or "involvedObject" in bad:
        assert occ is None
    else:
        assert occ is not None and occ.source_count >= 1 and occ.at is not None


def test_a_huge_message_is_truncated_and_kept():
    occ = from_event("c", _event(message="x" * 100000), NOW)
    assert len(occ.message) == MAX_MESSAGE


def test_pod_status_gives_oom_kills_and_restarts():
    pod = {"metadata": {"uid": "p1", "namespace": "ns", "name": "web-0"}, "status": {
        "containerStatuses": [{"name": "main", "restartCount": 3, "lastState": {"terminated": {
            "reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-12-01T11:58:00Z"}}}]}}  # fmt: skip
    occs = {o.reason: o for o in from_pod("c", pod, NOW)}
    assert occs["OOMKilled"].source == "oom:p1:main:2026-12-01T11:58:00Z"
    assert occs["Restarted"].source_count == 3


def test_memory_is_usage_minus_cache():
    text = "\n".join([
        "# TYPE container_memory_usage_bytes gauge",
        'container_memory_usage_bytes{namespace="ns",pod="web-0",container="main"} 1000',
        'container_memory_cache{namespace="ns",pod="web-0",container="main"} 600',
        'container_memory_working_set_bytes{namespace="ns",pod="web-0",container="main"} 820',
        'container_memory_usage_bytes{namespace="other",pod="x",container="main"} 5',
    ])  # fmt: skip
    figures = parse_prometheus(text, "ns")
    assert figures == {("ns", "web-0", "main"): {"usage": 1000, "cache": 600, "working_set": 820,
                                                  "honest": 400}}  # fmt: skip


def test_blank_rule_fields_match_anything():
    rule = SimpleNamespace(type="Warning", reason="OOMKilled", kind="", cluster_id=None,
                           space_id=7, app_id=None, environment="")  # fmt: skip
    event = SimpleNamespace(type="Warning", reason="OOMKilled", kind="Pod", cluster_id=1,
                            space_id=7, app_id=3)  # fmt: skip
    assert matches(rule, event)
    assert not matches(rule, SimpleNamespace(**{**vars(event), "space_id": 8}))
    rule.environment = "prod"
    assert not matches(rule, event, environment="test")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/x", "http://169.254.169.254/latest/meta-data", "https://10.0.0.5/",
    "http://[::1]/", "http://localhost/", "ftp://example.com/", "file:///etc/passwd",
])  # fmt: skip
def test_webhooks_to_loopback_private_or_odd_schemes_are_refused(settings, url):
    settings.K2_EVENTS_WEBHOOK_ALLOWLIST = []
    with pytest.raises(ValidationError) as caught:
        check_url(url)
    assert "url" in caught.value.message_dict


def test_an_allow_listed_host_or_network_passes(settings):
    settings.K2_EVENTS_WEBHOOK_ALLOWLIST = ["127.0.0.1", "10.0.0.0/8"]
    assert check_url("http://127.0.0.1:9/x")
    assert check_url("https://10.1.2.3/hook")
    with pytest.raises(ValidationError):
        check_url("http://169.254.169.254/")

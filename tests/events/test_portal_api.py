"""The event center as people use it: scoped to their spaces, filtered, paged, with the
app page's stored events and honest memory; rules and sinks through the API, validated,
audited, and webhook targets guarded."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.events.models import AlertRule, Event, EventBucket, Sink
from tests.conftest import api_as
from tests.events.conftest import make_pod

pytestmark = pytest.mark.django_db


def _event(cluster, space, app=None, *, reason="BackOff", type_="Warning", count=3, name="shop-0"):
    now = timezone.now()
    row = Event.objects.create(cluster=cluster, space=space, app=app, fingerprint=f"fp-{reason}-{name}",
                               namespace=space.namespace if space else "kube-system", kind="Pod",
                               name=name, reason=reason, type=type_, message=f"{reason} happened",
                               count=count, first_seen=now - timedelta(minutes=5), last_seen=now)  # fmt: skip
    EventBucket.objects.create(event=row, minute=now.replace(second=0, microsecond=0), count=count)
    return row


def test_people_see_their_spaces_events_and_admins_see_all(client, cluster, space, app, alice, bob,
                                                           admin_user):  # fmt: skip
    _event(cluster, space, app)
    _event(cluster, space, app, reason="Scheduled", type_="Normal")
    _event(cluster, None, reason="NodeNotReady", name="node-1")
    client.force_login(alice)
    html = client.get("/events/").content.decode()
    assert html.count('data-testid="event-row"') == 2 and "NodeNotReady" not in html
    html = client.get("/events/?type=Warning").content.decode()
    assert html.count('data-testid="event-row"') == 1 and 'data-reason="BackOff"' in html
    assert "keeps failing" in html  # the reason explained in words
    client.force_login(bob)
    assert 'data-testid="event-row"' not in client.get("/events/").content.decode()
    client.force_login(admin_user)
    assert client.get("/events/").content.decode().count('data-testid="event-row"') == 3
    body = api_as(alice).get("/api/v1/events/", {"reason": "BackOff"}).json()
    assert [r["reason"] for r in body["results"]] == ["BackOff"] and body["results"][0][
        "app"
    ] == "shop"
    counts = api_as(alice).get("/api/v1/events/counts/").json()
    assert sum(counts["warning"]) == 3 and sum(counts["normal"]) == 3


def test_the_app_page_reads_stored_events(client, cluster, space, app, alice):
    _event(cluster, space, app, reason="OOMKilled", count=7)
    client.force_login(alice)
    html = client.get(f"/events/apps/{space.slug}/{app.name}/").content.decode()
    assert 'data-reason="OOMKilled"' in html and ">7<" in html
    page = client.get(f"/apps/{space.slug}/{app.name}/?tab=events").content.decode()
    assert f"/events/apps/{space.slug}/{app.name}/" in page


def test_a_java_pod_shows_usage_minus_cache_well_below_working_set(client, core, space, app, alice):
    make_pod(core, space.namespace, "shop-0", labels={"lang": "java"}, memory="1Gi")
    make_pod(core, space.namespace, "shop-1", memory="1Gi")
    client.force_login(alice)
    html = client.get(f"/events/apps/{space.slug}/{app.name}/memory/").content.decode()
    rows = {}
    import re

    for pod, honest, ws in re.findall(
        r'data-pod="([^"]+)" data-honest="(\d+)" data-working-set="(\d+)"', html
    ):
        rows[pod] = (int(honest), int(ws))
    java_honest, java_ws = rows["shop-0"]
    assert java_honest < 0.6 * java_ws  # usage - cache well below the working set
    other_honest, other_ws = rows["shop-1"]
    assert other_honest > 0.85 * other_ws
    assert "usage − cache" in html


def test_rules_and_sinks_through_the_api_are_validated_and_audited(settings, space, alice, bob):
    settings.K2_EVENTS_WEBHOOK_ALLOWLIST = []
    owner = api_as(alice)
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data/"):
        answer = owner.post("/api/v1/events/sinks/", {"name": "x", "kind": "webhook", "target": url,
                                                      "space": space.slug}, format="json")  # fmt: skip
        assert answer.status_code == 400 and "target" in str(answer.json()), answer.json()
    assert not Sink.objects.exists()
    settings.K2_EVENTS_WEBHOOK_ALLOWLIST = ["127.0.0.1"]
    sink = owner.post("/api/v1/events/sinks/", {"name": "hook", "kind": "dingtalk", "space": space.slug,
                                                "target": "http://127.0.0.1:9/robot"}, format="json")  # fmt: skip
    assert sink.status_code == 201 and "target" not in sink.json()
    assert "127.0.0.1" not in Sink.objects.get().target_encrypted  # encrypted at rest
    bad = owner.post("/api/v1/events/rules/", {"name": "r", "space": space.slug, "colour": "red"},
                     format="json")  # fmt: skip
    assert bad.status_code == 400 and "colour" in str(bad.json())
    rule = owner.post("/api/v1/events/rules/", {
        "name": "restarts", "space": space.slug, "reason": "Restarted", "threshold": 5,
        "window_seconds": 1800, "sinks": [sink.json()["id"]]}, format="json")  # fmt: skip
    assert rule.status_code == 201, rule.json()
    assert AuditEvent.objects.filter(action="events.rule.create").exists()
    assert AuditEvent.objects.filter(action="events.sink.create").exists()
    # Another employee may neither create global rules nor rules in a space not theirs.
    other = api_as(bob)
    assert other.post("/api/v1/events/rules/", {"name": "g"}, format="json").status_code == 403
    assert other.get("/api/v1/events/rules/").json()["results"] == []
    assert owner.delete(f"/api/v1/events/rules/{rule.json()['id']}/").status_code == 204
    assert not AlertRule.objects.exists()


def test_an_email_sink_gets_one_mail_per_rule_and_fingerprint(cluster, space, app, monkeypatch,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    from django.core import mail

    from apps.core import tasks
    from apps.events import alerts
    from apps.events.delivery import deliver
    from apps.events.services import do_create_rule, do_create_sink
    from tests.events.conftest import ADMIN

    monkeypatch.setattr(tasks, "send", lambda name, a, kw, o: deliver(*a))
    sink = do_create_sink(space=space, name="team", kind="email", target="ops@example.com, dev@example.com",
                          actor=ADMIN)  # fmt: skip
    do_create_rule(space=space, data={"name": "oom", "reason": "OOMKilled", "threshold": 3,
                                      "sinks": [sink]}, actor=ADMIN)  # fmt: skip
    row = _event(cluster, space, app, reason="OOMKilled", count=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.evaluate(cluster, [row]) == 0  # 2 < 3
    EventBucket.objects.filter(event=row).update(count=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.evaluate(cluster, [row]) == 1
        assert alerts.evaluate(cluster, [row]) == 0  # within the re-notify interval
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@example.com", "dev@example.com"]
    assert "OOMKilled" in mail.outbox[0].subject


def test_a_silenced_rule_stays_quiet_until_its_end_then_notifies(client, cluster, space, app, alice, bob,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    from apps.events import alerts
    from apps.events.models import Notification

    owner = api_as(alice)
    rule = owner.post("/api/v1/events/rules/", {"name": "oom", "space": space.slug, "reason": "OOMKilled"},
                      format="json").json()  # fmt: skip
    silences = f"/api/v1/events/rules/{rule['id']}/silences/"
    past = owner.post(silences, {"ends_at": "2020-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400 and "ends_at" in past.json()["fields"]
    assert owner.post(silences, {"ends_at": (timezone.now() + timedelta(days=400)).isoformat()},
                      format="json").status_code == 400  # fmt: skip
    assert owner.post(silences, {"ends_at": timezone.now().isoformat(), "until": "x"},
                      format="json").status_code == 400  # unknown field  # fmt: skip
    assert api_as(bob).post(silences, {"ends_at": (timezone.now() + timedelta(hours=1)).isoformat()},
                            format="json").status_code == 404  # not bob's rule  # fmt: skip
    # The portal's form silences it for an hour; the rules page says until when.
    client.force_login(alice)
    client.post(
        f"/events/rules/{rule['id']}/silence/", {"duration": "1h", "comment": "maintenance"}
    )
    html = client.get("/events/rules/").content.decode()
    assert 'data-testid="silenced"' in html and "maintenance" in html
    listed = owner.get("/api/v1/events/rules/").json()["results"][0]
    assert listed["silenced_until"] is not None
    row = _event(cluster, space, app, reason="OOMKilled", count=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.evaluate(cluster, [row]) == 0  # silenced
    silence = owner.get(silences).json()["results"][0]
    assert silence["comment"] == "maintenance" and silence["created_by"] == alice.username
    assert owner.delete(f"/api/v1/events/silences/{silence['id']}/").status_code == 204
    assert owner.get("/api/v1/events/rules/").json()["results"][0]["silenced_until"] is None
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.evaluate(cluster, [row]) == 1  # notifies again
    assert Notification.objects.filter(state__rule_id=rule["id"]).count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"events.rule.silence", "events.rule.unsilence"} <= actions

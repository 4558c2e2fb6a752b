"""Live logs against k2sim pods: the websocket follows a running pod and ends in words when
the pod is deleted, shows the OOM tail of the previous container, refuses a viewer of
another space before accepting, keeps a chatty pod within the connection's bound (with a
drop notice), and the API streams the same as text."""

from __future__ import annotations

import asyncio
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from kubernetes import client as k8s

from apps.spaces.choices import SpaceRole
from tests.helpers import wait_for
from tests.podlogs.conftest import RATE, Reader, make_app, make_pod, run

pytestmark = pytest.mark.django_db(transaction=True)
LINE_ID = re.compile(r"request id=(\d+)")


@pytest.fixture
def web(space, clusters, sim):
    """App `web` of the test space on wl-test with a running pod writing 20 lines a second."""
    make_app(space, clusters["wl-test"])
    make_pod(sim, "wl-test", space.namespace, "web", "web-0", annotations={RATE: "20"})
    return space


def test_a_viewer_follows_new_lines_until_the_pod_is_deleted(web, viewer, sim):
    core = k8s.CoreV1Api(sim["wl-test"].api_client())

    async def scenario():
        reader = Reader(viewer, web.slug, "web", pod="web-0", container="web", tail=5)
        assert (await reader.open())[0]
        await reader.until(lambda r: len(r.lines) >= 5)
        last_of_tail = int(LINE_ID.search(reader.lines[4])[1])
        await reader.until(lambda r: len(r.lines) >= 15)  # followed: written after connecting
        core.delete_namespaced_pod("web-0", web.namespace)
        closed = await reader.until_closed()
        return reader, last_of_tail, closed

    reader, last_of_tail, closed = run(scenario)
    sources = [m for m in reader.messages if m["type"] == "source"]
    assert sources == [{"type": "source", "id": 0, "cluster": "wl-test", "pod": "web-0",
                        "container": "web"}]  # fmt: skip
    ids = [int(LINE_ID.search(line)[1]) for line in reader.lines]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # in order, none missing
    assert ids[-1] > last_of_tail + 9
    assert closed["reason"] == "pod_gone"
    assert "web-0" in closed["message"] and "delet" in closed["message"]
    assert reader.close_code == 4404


def test_previous_shows_the_tail_before_the_oom_kill(space, clusters, sim, alice):
    make_app(space, clusters["wl-test"], name="java")
    make_pod(sim, "wl-test", space.namespace, "java", "java-0",
             annotations={"k2sim.io/oom-after-seconds": "0.3", RATE: "20"})  # fmt: skip
    core = k8s.CoreV1Api(sim["wl-test"].api_client())
    wait_for(lambda: (core.read_namespaced_pod("java-0", space.namespace).status
                      .container_statuses[0].restart_count >= 1), timeout=20)  # fmt: skip

    async def scenario():
        reader = Reader(alice, space.slug, "java", pod="java-0", previous="true", tail=3)
        assert (await reader.open())[0]
        return reader, await reader.until_closed()

    reader, closed = run(scenario)
    assert closed["reason"] == "done"
    assert 2 <= len(reader.lines) <= 3  # the tail asked for, ending with the kill
    assert all("java-0 request id=" in line for line in reader.lines[:-1])
    assert "java.lang.OutOfMemoryError: Java heap space" in reader.lines[-1]


def test_a_viewer_of_another_space_and_anonymous_are_refused_before_accepting(web, make_space, bob):
    make_space(members={bob: SpaceRole.VIEWER})

    async def scenario(user):
        return await Reader(user, web.slug, "web").open()

    assert run(scenario, bob) == (False, 4403)
    assert run(scenario, AnonymousUser()) == (False, 4401)


def test_a_chatty_pod_stays_within_the_bound_and_the_reader_is_told_of_drops(
    space, clusters, sim, dev, settings
):
    settings.K2_LOGS_QUEUE_LINES = 300
    settings.K2_LOGS_QUEUE_BYTES = 48 * 1024
    settings.K2_LOGS_WINDOW_LINES = 100
    make_app(space, clusters["wl-test"], name="chatty")
    make_pod(sim, "wl-test", space.namespace, "chatty", "chatty-0", annotations={RATE: "10000"})

    async def scenario():
        reader = Reader(dev, space.slug, "chatty", tail=1)
        assert (await reader.open())[0]
        # Not acknowledging: the server sends its window, then lines wait in its queue.
        await reader.until(lambda r: len(r.lines) >= 100, ack=False)
        stats: dict = {}
        for _ in range(200):  # the pod writes on: its lines overflow the queue
            stats = await reader.stats(ack=False)
            if stats["dropped"]:
                break
            await asyncio.sleep(0.05)
        assert stats["dropped"], stats
        sent_unacked = len(reader.lines)
        await reader.until(lambda r: any(m["type"] == "dropped" for m in r.messages))
        after = await reader.stats()
        await reader.comm.disconnect()
        return reader, stats, sent_unacked, after

    try:
        reader, stats, sent_unacked, after = run(scenario)
    finally:  # nothing of the session's k2sim keeps writing 10,000 lines a second
        k8s.CoreV1Api(sim["wl-test"].api_client()).delete_namespaced_pod(
            "chatty-0", space.namespace
        )
    assert sent_unacked == 100  # the window, no more
    assert stats["peak_lines"] <= 300 and stats["peak_bytes"] <= 48 * 1024
    assert after["peak_lines"] <= 300 and after["peak_bytes"] <= 48 * 1024
    assert after["dropped"] >= stats["dropped"] > 0
    notice = next(m for m in reader.messages if m["type"] == "dropped")
    assert notice["count"] > 0
    assert f"{notice['count']} lines were dropped" in notice["message"]


def test_the_api_streams_the_same_lines_as_text(web, viewer, bob, sim):
    from tests.conftest import api_as

    make_pod(sim, "wl-test", web.namespace, "web", "web-1", annotations={RATE: "20"})
    url = f"/api/v1/apps/{web.slug}/web/logs/"
    assert api_as(bob).get(url).status_code == 404
    refused = api_as(viewer).get(url, {"tail": "0"})
    assert refused.status_code == 400 and "tail" in refused.json()["fields"]
    response = api_as(viewer).get(url, {"tail": "3", "follow": "false"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 6
    assert {line.split(" ", 1)[0] for line in lines} == {"[web-0/web]", "[web-1/web]"}
    one = api_as(viewer).get(url, {"pod": "web-1", "container": "web", "tail": "2",
                                   "follow": "false", "timestamps": "true"})  # fmt: skip
    text = b"".join(one.streaming_content).decode().splitlines()
    stamped = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z \S+Z (INFO|ERROR) \[web\] web-1 ")
    assert len(text) == 2 and all(stamped.match(t) for t in text)


def test_an_unreachable_cluster_ends_the_reading_in_words(web, viewer, sim, settings):
    settings.K2_CLUSTER_CONNECT_TIMEOUT = 1
    settings.K2_CLUSTER_READ_TIMEOUT = 1
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 1
    from tests.conftest import api_as

    sim["wl-test"].set_faults(refuse_connections=True)
    try:
        response = api_as(viewer).get(f"/api/v1/apps/{web.slug}/web/logs/", {"follow": "false"})
        text = b"".join(response.streaming_content).decode()
    finally:
        sim["wl-test"].clear_faults()
    assert text.startswith("# k2cloud: Cluster wl-test: ")
    assert text.count("\n") == 1

"""The real kubectl and the installed k2ctl against K2Cloud (daphne) in front of k2sim."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import PersonalAccessToken
from apps.audit.models import AuditEvent
from apps.kubeproxy import cache as access_cache
from apps.kubeproxy.models import CliSession
from apps.spaces.choices import SpaceRole
from apps.terminal.models import TerminalSession
from tests.helpers import wait_for
from tests.kubeproxy.conftest import K2CTL, KUBECTL, make_app, make_pod, pat

pytestmark = pytest.mark.django_db(transaction=True)


def _status(server: tuple[str, str], token: str, path: str, lang: str = "en") -> tuple[int, dict]:
    url, ca = server
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}",
                                                          "Accept-Language": lang})  # fmt: skip
    context = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _read_until(fd: int, pattern: str, seen: bytes = b"") -> bytes:
    """Terminal output until `pattern` (a regex) shows; a broken session fails, not hangs."""
    deadline = time.monotonic() + 60
    while not re.search(pattern.encode(), seen):
        assert time.monotonic() < deadline, f"no {pattern!r} on the terminal: {seen!r}"
        ready, _w, _x = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed
                chunk = b""
            assert chunk, f"the terminal closed before {pattern!r}: {seen!r}"
            seen += chunk
    return seen


def _interactive_shell(bastion, target: str, line: str) -> str:
    """`k2ctl sh TARGET` on a real PTY: wait for the prompt, type `line`, then exit.
    Returns what the terminal showed after the line was typed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: k2ctl on the terminal, as a person would start it
        os.execve(K2CTL, [K2CTL, "sh", target], bastion.env)
    try:
        _read_until(fd, r"[$#] $")
        os.write(fd, line.encode() + b"\r")
        shown = _read_until(fd, r"\r?\n42\r?\n")
        os.write(fd, b"exit\r")
        shown = _read_until(fd, r"exit", shown)
        with contextlib.suppress(AssertionError):  # the rest, up to k2ctl's end
            shown = _read_until(fd, r"(?!)", shown)
        _pid, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, shown
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    return shown.decode(errors="replace")


def test_a_viewer_reads_their_space_and_nothing_else(
    make_space, clusters, sim, viewer, dev, proxy_url, bastion
):
    mine = make_space(members={viewer: SpaceRole.VIEWER, dev: SpaceRole.DEVELOPER})
    other = make_space()
    make_app(mine, clusters["wl-test"])
    make_pod(sim, "wl-test", mine.namespace, "web", "web-0")
    vera = bastion("vera")
    vera.login(proxy_url, pat(viewer))
    assert oct(vera.home.joinpath("k2ctl", "session.json").stat().st_mode & 0o777) == "0o600"
    assert "vera" in vera.k2ctl("whoami").stdout
    assert mine.slug in vera.k2ctl("spaces").stdout
    assert other.slug not in vera.k2ctl("spaces").stdout
    kubeconfig = vera.kubeconfig(mine.slug)
    assert "k2s_" in kubeconfig.read_text()

    got = vera.kubectl(kubeconfig, "get", "pods", check=True)
    assert "web-0" in got.stdout and "Running" in got.stdout
    assert "web-0" in vera.k2ctl("pods", f"{mine.slug}/web").stdout
    refused = vera.kubectl(kubeconfig, "get", "pods", "-n", other.slug)
    assert refused.returncode == 1
    assert "Forbidden" in refused.stderr and "not a space of yours" in refused.stderr
    assert "cluster-scoped" in vera.kubectl(kubeconfig, "get", "nodes").stderr
    assert "developers and up" in vera.kubectl(kubeconfig, "logs", "web-0").stderr

    # Audited with verb, resource and namespace; refusals too.
    listed = AuditEvent.objects.filter(action="k8s.list", outcome="succeeded").first()
    assert listed.changes["resource"] == "pods" and listed.changes["namespace"] == mine.slug
    assert AuditEvent.objects.filter(action="k8s.list", outcome="denied",
                                     changes__namespace=other.slug).exists()  # fmt: skip

    # Another installation's token, an unknown one, an expired session: 401 in words.
    code, body = _status(
        proxy_url, "k2s_not-from-here", f"/k8s/wl-test/api/v1/namespaces/{mine.slug}/pods"
    )
    assert code == 401 and "another installation" in body["message"]
    code, body = _status(proxy_url, "eyJhbGciOi.other.jwt", "/k8s/wl-test/api")
    assert code == 401 and "not a token of this K2Cloud installation" in body["message"]
    code, body = _status(proxy_url, "eyJhbGciOi.other.jwt", "/k8s/wl-test/api", "zh-CN")
    assert code == 401 and "不是本 K2Cloud 实例的令牌" in body["message"]
    CliSession.objects.filter(user=viewer).update(expires_at=timezone.now() - timedelta(minutes=1))
    access_cache._bump()  # time makes a session expire, which the proxy's cache checks itself
    expired = vera.kubectl(kubeconfig, "get", "pods")
    assert expired.returncode == 1 and "session expired" in expired.stderr
    token = json.loads(kubeconfig.read_text())["users"][0]["user"]["token"]
    code, body = _status(proxy_url, token, f"/k8s/wl-test/api/v1/namespaces/{mine.slug}/pods")
    assert code == 401 and "expired" in body["message"]


def test_logs_stream_and_revoking_the_token_ends_them(
    make_space, clusters, sim, dev, proxy_url, bastion
):
    space = make_space(members={dev: SpaceRole.DEVELOPER})
    make_app(space, clusters["wl-test"])
    make_pod(sim, "wl-test", space.namespace, "web", "web-0")
    devon = bastion("devon")
    devon.login(proxy_url, pat(dev))
    kubeconfig = devon.kubeconfig(space.slug)
    follow = subprocess.Popen(
        [KUBECTL, "logs", "-f", "web-0", "--tail=1"], env=dict(devon.env, KUBECONFIG=str(kubeconfig)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = follow.stdout.readline()
        second = follow.stdout.readline()  # a line written after the request: it streams
        assert first and second and first != second
        PersonalAccessToken.objects.filter(user=dev).update(revoked_at=timezone.now())
        revoked_at = time.monotonic()
        follow.wait(timeout=60)
        assert time.monotonic() - revoked_at < 60
    finally:
        follow.kill()
    assert AuditEvent.objects.filter(action="k8s.stream.revoked").exists()
    assert "no longer valid" in devon.k2ctl("whoami", check=False).stderr


def test_exec_in_production_is_for_owners_and_recorded(
    make_space, clusters, sim, alice, dev, proxy_url, bastion
):
    space = make_space("prod", ("wl-prod",), {dev: SpaceRole.DEVELOPER})
    make_app(space, clusters["wl-prod"])
    make_pod(sim, "wl-prod", space.namespace, "web", "web-0")
    owner, developer = bastion("alice"), bastion("devon")
    owner.login(proxy_url, pat(alice))
    developer.login(proxy_url, pat(dev))
    owner_kc, dev_kc = owner.kubeconfig(space.slug), developer.kubeconfig(space.slug)

    ran = owner.kubectl(owner_kc, "exec", "-it", "web-0", "--", "sh", "-c", "echo $((6*7))",
                        input="")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "42" in ran.stdout
    refused = developer.kubectl(dev_kc, "exec", "-it", "web-0", "--", "sh", "-c", "echo hi",
                                input="")  # fmt: skip
    assert refused.returncode != 0
    assert "Forbidden" in refused.stderr or "403" in refused.stderr
    deleted = owner.kubectl(owner_kc, "delete", "deployment", "web")
    assert deleted.returncode == 1 and "change apps through K2Cloud" in deleted.stderr

    # k2ctl exec: a terminal session with its command log, start and end audited.
    out = owner.k2ctl("exec", f"{space.slug}/web", "--", "sh", "-c", "echo k2-$((40+2))")
    assert "k2-42" in out.stdout
    sessions = TerminalSession.objects.filter(channel="k2ctl", user=alice).order_by("started_at")
    assert sessions.count() == 2
    last = sessions.last()
    assert last.ended_at is not None and last.exit_code == 0 and last.app_name == "web"
    assert [c.text for c in last.commands.all()] == ["sh -c echo k2-$((40+2))"]
    assert last.recording_key
    starts = AuditEvent.objects.filter(action="terminal.session.start", target_id=str(last.pk))
    assert starts.get().changes["channel"] == "k2ctl"
    assert AuditEvent.objects.filter(action="terminal.session.end", target_id=str(last.pk)).exists()

    # k2ctl sh: an interactive shell on a real terminal, its typed line in the command log.
    assert "42" in _interactive_shell(owner, f"{space.slug}/web", "echo $((6*7))")
    shell = (
        TerminalSession.objects.filter(channel="k2ctl", user=alice).order_by("started_at").last()
    )
    assert shell.pk != last.pk
    # daphne closes the session once the websocket is gone, just after k2ctl exits.
    wait_for(lambda: TerminalSession.objects.filter(pk=shell.pk, ended_at__isnull=False).exists(),
             timeout=30)  # fmt: skip
    assert "echo $((6*7))" in [c.text for c in shell.commands.all()]
    assert AuditEvent.objects.filter(
        action="terminal.session.end", target_id=str(shell.pk)
    ).exists()

    # Logout revokes the session server-side.
    owner.k2ctl("logout")
    assert CliSession.objects.get(user=alice).revoked_at is not None
    assert owner.kubectl(owner_kc, "get", "pods").returncode == 1

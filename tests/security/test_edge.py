"""The edge: security headers, /metrics behind its token, unknown websocket paths, rate
limits, and one answer for every address that is not a usable cluster."""

import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from apps.audit.actors import Actor
from tests.conftest import ROOT, api_as

pytestmark = pytest.mark.django_db


# --- headers ------------------------------------------------------------------------------
def test_portal_pages_carry_csp_permissions_and_referrer_policies(client, alice):
    client.force_login(alice)
    response = client.get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for needle in ("<script>", "<style", ' style="', " onclick=", " onsubmit=", " onchange=",
                       " oninput=", "javascript:"):  # fmt: skip
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle.strip()}")
    assert not offenders


# --- /metrics -----------------------------------------------------------------------------
def test_metrics_are_refused_without_the_token(client, settings):
    settings.K2_METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-it")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    assert b"django_http" not in wrong.content
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert right.status_code == 200
    assert b"django_http_requests" in right.content


def test_metrics_are_served_to_nobody_when_no_token_is_configured(client, settings):
    settings.K2_METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 401
    assert "K2_METRICS_TOKEN" in response.json()["message"]


def test_the_metrics_token_can_come_from_a_file(tmp_path):
    secret = tmp_path / "metrics-token"
    secret.write_text("from-a-file\n")
    env = {**os.environ, "K2_METRICS_TOKEN_FILE": str(secret), "K2_METRICS_TOKEN": "ignored"}
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " print(settings.K2_METRICS_TOKEN)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "k2cloud.settings"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "from-a-file"


# --- websockets ---------------------------------------------------------------------------
async def _connect(path: str):
    from k2cloud.asgi import application

    communicator = WebsocketCommunicator(
        application, path, headers=[(b"host", b"testserver"), (b"origin", b"http://testserver")]
    )
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


def test_an_unknown_websocket_path_is_closed_cleanly(caplog):
    with caplog.at_level(logging.ERROR):
        connected, code = async_to_sync(_connect)("/ws/no-such-thing/")
    assert connected is False
    assert code == 4404
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_known_websocket_path_still_routes():
    connected, code = async_to_sync(_connect)("/ws/ping/")
    assert (connected, code) == (False, 4401)  # anonymous: refused by the consumer itself


# --- rate limits --------------------------------------------------------------------------
@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        framework = dict(settings.REST_FRAMEWORK)
        framework["DEFAULT_THROTTLE_RATES"] = {
            "api": "1000/min", "token-create": "1000/min", "cluster-register": "1000/min",
            **{k.replace("_", "-"): v for k, v in rates.items()},
        }  # fmt: skip
        settings.REST_FRAMEWORK = framework

    return set_rates


def _assert_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"message", "code", "fields"} and body["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_token_creation_is_rate_limited(alice, rates):
    rates(token_create="3/hour")
    client = api_as(alice)
    for i in range(3):
        assert client.post("/api/v1/tokens/", {"name": f"t{i}"}, format="json").status_code == 201
    _assert_throttled(client.post("/api/v1/tokens/", {"name": "t4"}, format="json"))
    assert client.get("/api/v1/tokens/").status_code == 200  # reading is not creating


def test_the_portal_token_form_spends_the_same_budget(client, alice, rates):
    from apps.accounts.models import PersonalAccessToken

    rates(token_create="2/hour")
    client.force_login(alice)
    for i in range(2):
        assert client.post(reverse("accounts:tokens"), {"name": f"p{i}"}).status_code == 200
    refused = client.post(reverse("accounts:tokens"), {"name": "p3"})
    assert refused.status_code == 429
    assert "Too many attempts; try again in" in refused.content.decode()
    assert sorted(
        PersonalAccessToken.objects.filter(user=alice).values_list("name", flat=True)
    ) == ["p0", "p1"]
    _assert_throttled(api_as(alice).post("/api/v1/tokens/", {"name": "a"}, format="json"))


def test_the_portal_cluster_form_is_rate_limited(client, admin_user, rates):
    rates(cluster_register="1/hour")
    client.force_login(admin_user)
    body = {"name": "x", "environment": "test", "kubeconfig_text": "not yaml: ["}
    assert client.post(reverse("clusters:register"), body).status_code == 200  # form errors
    refused = client.post(reverse("clusters:register"), body)
    assert refused.status_code == 429
    assert "Too many attempts; try again in" in refused.content.decode()


def test_cluster_registration_is_rate_limited(admin_user, rates):
    rates(cluster_register="2/hour")
    client = api_as(admin_user)
    body = {"name": "x", "environment": "test", "kubeconfig": "not yaml: ["}
    for _ in range(2):
        assert client.post("/api/v1/clusters/", body, format="json").status_code == 400
    _assert_throttled(client.post("/api/v1/clusters/", body, format="json"))


def test_the_api_budget_is_per_token(alice, rates):
    from apps.accounts.services import do_create_token

    rates(api="3/min")
    _one, first = do_create_token(alice, "one", expires_days=None, actor=Actor.for_user(alice))
    _two, second = do_create_token(alice, "two", expires_days=None, actor=Actor.for_user(alice))
    from tests.contract.openapi import ContractAPIClient as APIClient

    client = APIClient()
    for _ in range(3):
        assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
    _assert_throttled(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {first}"))
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


# --- cluster registration: one answer for every unusable address ------------------------
class _Port:
    """A loopback port that is closed, silent (accepts, never answers) or open to
    something that is not Kubernetes (an SSH-like banner, then close)."""

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns = []
        if behaviour == "closed":
            self.sock.close()
            return
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.behaviour == "banner":
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
                conn.close()

    def close(self):
        for conn in self.conns:
            conn.close()
        if self.behaviour != "closed":
            self.sock.close()


def _kubeconfig(port: int) -> str:
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n"
    )


def test_closed_silent_and_foreign_ports_get_one_answer(admin_user, settings, caplog):
    settings.K2_CLUSTER_CONNECT_TIMEOUT = 1
    settings.K2_CLUSTER_READ_TIMEOUT = 1
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 1
    settings.K2_CLUSTER_RETRY_BACKOFF = 0.05
    settings.K2_CLUSTER_RETRY_BACKOFF_MAX = 0.1
    from apps.clusters import gateway

    answers = {}
    for behaviour in ("closed", "silent", "banner"):
        gateway.reset()
        port = _Port(behaviour)
        try:
            with caplog.at_level(logging.WARNING, logger="apps.clusters.services"):
                response = api_as(admin_user).post(
                    "/api/v1/clusters/",
                    {"name": "probe", "environment": "test", "kubeconfig": _kubeconfig(port.port)},
                    format="json",
                )
        finally:
            port.close()
        assert response.status_code == 400, response.json()
        answers[behaviour] = response.json()["fields"]["kubeconfig"][0].replace(str(port.port), "N")
    assert len(set(answers.values())) == 1, answers
    assert "Cannot connect to https://127.0.0.1:N: connection refused" in answers["silent"]
    details = [
        r.getMessage() for r in caplog.records if "not a usable API server" in r.getMessage()
    ]
    assert len(details) == 3  # the admin finds the real reason in the log
    assert len({d.split("(")[-1] for d in details}) > 1


def test_readme_documents_the_metrics_scrape_config():
    text = Path(ROOT / "README.md").read_text()
    assert "K2_METRICS_TOKEN" in text and "bearer_token_file" in text


def test_a_form_post_without_the_csrf_token_is_refused(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/account/tokens/", {"name": "forged"}, HTTP_ACCEPT="text/html")
    assert response.status_code == 403
    assert not alice.access_tokens.exists()

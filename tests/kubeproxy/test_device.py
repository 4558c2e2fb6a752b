"""The browser-free k2ctl login: a code k2ctl prints, confirmed in the portal by whoever is
signed in there, polled for by k2ctl until it gives a session of that person."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import hash_token
from apps.audit.models import AuditEvent
from apps.kubeproxy.models import CliSession, DeviceLogin
from tests.kubeproxy.conftest import K2CTL

START, POLL, PAGE = (
    "/api/v1/k2ctl/device/",
    "/api/v1/k2ctl/device/token/",
    "/account/k2ctl-sessions/device/",
)


@pytest.fixture(autouse=True)
def _device_settings(settings, monkeypatch):
    """Poll as fast as the tests like (daphne reads the environment), budgets not in the way."""
    settings.K2_PROXY_DEVICE_INTERVAL = 0
    monkeypatch.setenv("K2_PROXY_DEVICE_INTERVAL", "1")
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    for scope in ("k2ctl-device", "k2ctl-device-poll", "k2ctl-device-confirm"):
        rates[scope] = "10000/min"
    for name in ("START", "POLL", "CONFIRM"):
        monkeypatch.setenv(f"K2_PROXY_DEVICE_{name}_RATE", "10000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _start(client, host="bastion-1"):
    r = client.post(START, {"client": host}, content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()


def _poll(client, device_code):
    r = client.post(POLL, {"device_code": device_code}, content_type="application/json")
    return r.status_code, r.json()


@pytest.mark.django_db
def test_the_device_login_flow(client, alice, bob, settings):
    started = _start(client)
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", started["user_code"])
    assert started["verification_uri_complete"].endswith(f"{PAGE}?code={started['user_code']}")
    assert started["expires_in"] == 600
    row = DeviceLogin.objects.get()
    code = started["user_code"].replace("-", "")
    assert row.user_code_hash == hash_token(code) and row.device_code_hash != started["device_code"]
    assert _poll(client, started["device_code"]) == (400, {
        "error": "authorization_pending", "error_description": "Waiting for the confirmation."})  # fmt: skip
    assert _poll(client, "made-up")[1]["error"] == "invalid_grant"
    assert client.post(START, {"client": "x", "scope": "all"},
                       content_type="application/json").status_code == 400  # fmt: skip

    # The portal page (linked from the access tokens) shows the host; bob confirms, so the
    # session is bob's whoever started it.
    client.force_login(bob)
    assert PAGE in client.get("/account/k2ctl-sessions/").content.decode()
    page = client.get(PAGE, {"code": started["user_code"].lower()}).content.decode()
    assert "bastion-1" in page and 'value="confirm"' in page
    r = client.post(PAGE, {"code": started["user_code"], "decision": "confirm"})
    assert r.status_code == 302
    client.logout()
    status, session = _poll(client, started["device_code"])
    assert status == 200 and session["user"] == "bob" and session["token"].startswith("k2s_")
    whoami = client.get("/api/v1/k2ctl/whoami/", HTTP_AUTHORIZATION=f"Bearer {session['token']}")
    assert whoami.json()["user"] == "bob"
    assert CliSession.objects.get().client == "bastion-1"
    confirmed = AuditEvent.objects.get(action="k2ctl.device.confirm")
    assert confirmed.actor_user_id == bob.pk and confirmed.changes["client"] == "bastion-1"
    # Single use: the device code and the user code are spent.
    assert _poll(client, started["device_code"])[1]["error"] == "invalid_grant"
    client.force_login(alice)
    assert (
        "No k2ctl login waits" in client.get(PAGE, {"code": started["user_code"]}).content.decode()
    )

    # Denied, then expired.
    denied = _start(client, "bastion-2")
    client.post(PAGE, {"code": denied["user_code"], "decision": "deny"})
    assert _poll(client, denied["device_code"])[1]["error"] == "access_denied"
    assert AuditEvent.objects.filter(action="k2ctl.device.deny", actor_user_id=alice.pk).exists()
    late = _start(client, "bastion-3")
    DeviceLogin.objects.filter(client="bastion-3").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert _poll(client, late["device_code"])[1]["error"] == "expired_token"
    assert "No k2ctl login waits" in client.get(PAGE, {"code": late["user_code"]}).content.decode()

    # Polling faster than the interval: slow_down, and the interval grows.
    settings.K2_PROXY_DEVICE_INTERVAL = 5
    fast = _start(client, "bastion-4")
    assert _poll(client, fast["device_code"])[1]["error"] == "authorization_pending"
    assert _poll(client, fast["device_code"])[1]["error"] == "slow_down"
    assert DeviceLogin.objects.get(client="bastion-4").interval == 10
    assert CliSession.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_k2ctl_logs_in_with_a_code_confirmed_in_the_portal(alice, proxy_url, bastion, client):
    url, ca = proxy_url
    ada = bastion("ada")
    login = subprocess.Popen([K2CTL, "login", "--url", url, "--ca-file", ca], env=ada.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        first = login.stdout.readline()
        code = re.search(r"confirm the code ([A-Z]{4}-[A-Z]{4})", first).group(1)
        assert f"{PAGE}?code={code}" in first
        client.force_login(alice)
        assert client.post(PAGE, {"code": code, "decision": "confirm"}).status_code == 302
        out, err = login.communicate(timeout=60)
    finally:
        login.kill()
    assert login.returncode == 0, err
    assert "Logged in" in out and "alice" in out
    assert oct(ada.home.joinpath("k2ctl", "session.json").stat().st_mode & 0o777) == "0o600"
    assert "alice" in ada.k2ctl("whoami").stdout

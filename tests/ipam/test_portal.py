"""The portal pages without a browser: who sees them, the policy form, both languages."""

from __future__ import annotations

import pytest

from apps.ipam.choices import Trigger
from apps.ipam.models import IpamPolicy
from apps.ipam.services import run_cluster
from tests.ipam.conftest import ADMIN

pytestmark = pytest.mark.django_db


def test_only_platform_admins_open_the_pages(cluster, client, alice):
    client.force_login(alice)
    assert client.get("/ipam/").status_code == 403
    assert client.get(f"/ipam/clusters/{cluster.name}/").status_code == 403
    assert b'data-nav="ipam"' not in client.get("/").content


def test_the_policy_form_saves_and_names_the_bad_field(cluster, client, admin_user):
    client.force_login(admin_user)
    url = f"/ipam/clusters/{cluster.name}/"
    page = client.get(url)
    assert page.status_code == 200 and b"ipam-never" in page.content
    form = {"mode": "report", "grace_seconds": "600", "release_bound": "50",
            "max_leaked_share": "0.4", "interval_seconds": "300", "pools": "default-ipv4-ippool"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    policy = IpamPolicy.objects.get(cluster=cluster)
    assert (policy.mode, policy.grace_seconds, policy.pools) == (
        "report",
        600,
        ["default-ipv4-ippool"],
    )
    bad = client.post(url, {**form, "interval_seconds": "5"})
    assert bad.status_code == 200 and b"is-invalid" in bad.content


def test_pages_speak_simplified_chinese(cluster, client, admin_user):
    run = run_cluster(cluster, trigger=Trigger.SCAN, actor=ADMIN)
    client.force_login(admin_user)
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    for url in ("/ipam/", f"/ipam/clusters/{cluster.name}/", f"/ipam/runs/{run.pk}/",
                f"/ipam/clusters/{cluster.name}/release/"):  # fmt: skip
        page = client.get(url, **headers)
        assert page.status_code == 200, url
        assert "泄漏".encode() in page.content, url

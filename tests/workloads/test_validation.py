"""Spec validation: each bad input names its field."""

import pytest

from apps.workloads.rendering import normalize_spec, validate_spec
from apps.workloads.rendering.spec import validate_app_name, validate_cron, validate_image

GOOD = {"kind": "service", "image": "harbor.k2.test/shop/web:1.0", "ports": [{"port": 8080}]}


@pytest.mark.parametrize(
    "image",
    ["harbor.k2.test/shop/web:1.0", "registry:5000/a/b/c:latest", "localhost/p/r@sha256:" + "a" * 64,
     "harbor.example.com/team/app:v1.2.3-rc.1"],
)  # fmt: skip
def test_good_images(image):
    assert validate_image(image) == []


@pytest.mark.parametrize(
    "image",
    ["nginx", "nginx:1.25", "harbor.k2.test/web:1", "harbor.k2.test/shop/web", "Harbor/shop/web:1",
     "harbor.k2.test/shop/Web:1", "harbor.k2.test/shop/web:", "harbor.k2.test/shop/web@sha256:abc", ""],
)  # fmt: skip
def test_bad_images(image):
    assert validate_image(image)


@pytest.mark.parametrize(
    "schedule", ["*/5 * * * *", "0 2 * * 1-5", "30 4 1,15 * *", "@daily", "0 0 * jan sun"]
)
def test_good_cron(schedule):
    assert validate_cron(schedule) == []


@pytest.mark.parametrize(
    "schedule",
    ["", "* * * *", "61 * * * *", "* 24 * * *", "@sometimes", "*/0 * * * *", "5-1 * * * *"],
)
def test_bad_cron(schedule):
    assert validate_cron(schedule)


@pytest.mark.parametrize("name", ["Web", "-web", "web-", "w_b", "a" * 41, "", "new"])
def test_bad_names(name):
    assert validate_app_name(name)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"image": "nginx"}, "image"),
        ({"cpu_limit": "lots"}, "cpu_limit"),
        ({"cpu_limit": "1.5m"}, "cpu_limit"),
        ({"memory_limit": "1GB"}, "memory_limit"),
        ({"ports": [{"port": 70000}]}, "ports"),
        ({"ports": [{"port": 80}, {"port": 80}]}, "ports"),
        ({"ports": [{"port": 80, "protocol": "HTTP"}]}, "ports"),
        ({"kind": "cronjob", "schedule": "every day"}, "schedule"),
        ({"kind": "nope"}, "kind"),
        ({"env": [{"name": "1=x", "value": "v"}]}, "env"),
        ({"config_files": [{"name": "a/b", "content": ""}]}, "config_files"),
        ({"config_mount_path": "relative"}, "config_mount_path"),
        ({"ingress": {"host": "Bad_Host", "path": "/"}}, "ingress_host"),
        ({"ingress": {"host": "ok.example.com", "path": "nope"}}, "ingress_path"),
        ({"liveness": {"type": "http", "port": 0}}, "liveness"),
        ({"java": {"enabled": True, "heap_percent": 99}}, "java_heap_percent"),
        ({"kind": "stateful", "storage": {"size": "big"}}, "storage_size"),
    ],
)
def test_bad_spec_names_the_field(change, field):
    errors = validate_spec(normalize_spec({**GOOD, **change}))
    assert field in errors, errors


def test_good_spec_has_no_errors():
    assert validate_spec(normalize_spec(GOOD)) == {}

"""The policy's decisions and image-reference parsing, as tables and a property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.registries.backends import Artifact
from apps.registries.outbound import RefusedURL, check_url
from apps.registries.policy import InUse, Policy, decide, is_protected, policy_for
from apps.registries.references import Ref, parse

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def art(tag, days_old, digest=None, children=()):
    return Artifact("team/api", digest or f"sha256:{tag}", [tag] if tag else [], NOW - timedelta(days=days_old),
                    10, list(children))  # fmt: skip


@pytest.mark.parametrize(("reference", "expected"), [
    ("busybox", Ref("docker.io", "library/busybox", "latest")),
    ("reg.example.com:5000/team/api:1.4", Ref("reg.example.com:5000", "team/api", "1.4")),
    ("reg.example.com/team/api@sha256:ab", Ref("reg.example.com", "team/api", "", "sha256:ab")),
    ("docker-pullable://127.0.0.1:5000/team/api@sha256:cd", Ref("127.0.0.1:5000", "team/api", "", "sha256:cd")),
    ("localhost/x:y@sha256:ef", Ref("localhost", "x", "y", "sha256:ef")),
    ("sha256:abc", None),
])  # fmt: skip
def test_parse(reference, expected):
    assert parse(reference) == expected


@pytest.mark.parametrize(("tag", "protected"), [
    ("latest", True), ("release-2", True), ("v1.2.3", True), ("1.2.3", True), ("v1.2.3-rc1", False),
    ("build-7", False), ("releases", False),
])  # fmt: skip
def test_protected_patterns(tag, protected):
    assert is_protected(tag, ["latest", "release-*", "semver"]) is protected


def test_every_reason_and_the_overrides():
    in_use = InUse()
    in_use.add("team/api", "old-running", "", "prod")
    in_use.add("team/api", "", "sha256:child", "ml")
    in_use.add("team/api", "old-revision", "", "", revision=True)
    artifacts = [art("new", 1), art("mid", 20), art("old", 30), art("old-running", 40),
                 art("old-revision", 41), art("idx", 42, children=["sha256:child", "sha256:sib"]),
                 art("sib", 43, digest="sha256:sib"), art("latest", 50)]  # fmt: skip
    decisions = {
        d.tags[0]: d
        for d in decide("team/api", artifacts, Policy(keep_last=2, keep_days=7), in_use, NOW)
    }
    assert decisions["new"].keep == ["newest", "young"]
    assert decisions["mid"].keep == ["newest"]
    assert decisions["old"].delete
    assert decisions["old-running"].keep == ["running"] and decisions["old-running"].where == [
        "prod"
    ]
    assert decisions["old-revision"].keep == ["revision"]
    assert decisions["idx"].keep == ["running"] and decisions["idx"].where == ["ml"]
    assert decisions["sib"].keep == ["index"]
    assert decisions["latest"].keep == ["protected"]
    overrides = {"keep_last": 5, "repositories": {"team/*": {"keep_last": 1, "protected": []}}}
    assert policy_for(Policy(), overrides, "team/api") == Policy(1, 7, ())
    assert policy_for(Policy(), overrides, "other/api") == Policy(
        5, 7, ("latest", "release-*", "semver")
    )


@given(
    st.lists(st.integers(min_value=0, max_value=400), min_size=0, max_size=60), st.integers(0, 20)
)
def test_never_deletes_the_newest_n_or_young(ages, keep_last):
    artifacts = [art(f"t{i}", age) for i, age in enumerate(ages)]
    decisions = decide(
        "team/api", artifacts, Policy(keep_last=keep_last, keep_days=7, protected=()), InUse(), NOW
    )
    kept = [d for d in decisions if not d.delete]
    assert len(kept) >= min(keep_last, len(ages))
    by_tag = {a.tags[0]: a for a in artifacts}
    for d in decisions:
        if d.delete:
            assert by_tag[d.tags[0]].pushed_at <= NOW - timedelta(days=7)


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://169.254.169.254/", "http://10.0.0.1/",
                                 "ftp://example.com", "http://[::1]/"])  # fmt: skip
def test_outbound_refuses_local_addresses(url, settings):
    settings.K2_REGISTRY_ALLOWED_HOSTS = []
    with pytest.raises(RefusedURL):
        check_url(url)
    settings.K2_REGISTRY_ALLOWED_HOSTS = ["127.0.0.1"]
    check_url("http://127.0.0.1:5000")

"""Kubeconfig parsing: inline data accepted; plugins, file references and junk refused."""

import base64
import re

import pytest
import yaml

from apps.clusters.kubeconfig import KubeconfigError, context_names, parse_kubeconfig

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def doc(user=None, cluster=None, contexts=None, current="dev"):
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": cluster or {
                "server": "https://k8s.example.test:6443",
                "certificate-authority-data": base64.b64encode(CA.encode()).decode()}}],
            "users": [{"name": "u", "user": user if user is not None else {"token": "abc"}}],
            "contexts": contexts or [{"name": "dev", "context": {"cluster": "c", "user": "u"}}],
            "current-context": current,
        }
    )  # fmt: skip


def test_inline_token_and_ca_are_accepted():
    creds = parse_kubeconfig(doc())
    assert creds.server == "https://k8s.example.test:6443"
    assert creds.token == "abc" and creds.ca_data == CA and creds.context == "dev"


@pytest.mark.parametrize(
    ("user", "cluster", "message"),
    [
        ({"exec": {"command": "aws"}}, None, "exec plugin"),
        ({"auth-provider": {"name": "gcp"}}, None, "auth-provider plugin"),
        ({"tokenFile": "/var/run/token"}, None, "points at a local file (tokenFile)"),
        ({"client-certificate": "/etc/c.crt", "client-key": "/etc/c.key"}, None, "client-certificate"),
        (None, {"server": "https://x:6443", "certificate-authority": "/etc/ca.crt"}, "certificate-authority"),
        ({}, None, "has no credentials"),
        (None, {"server": "http://x:6443"}, "must be an https:// URL"),
        ({"username": "a", "password": "b"}, None, "username and password"),
    ],
)  # fmt: skip
def test_unsafe_or_unusable_kubeconfigs_are_refused(user, cluster, message):
    with pytest.raises(KubeconfigError, match=re.escape(message)):
        parse_kubeconfig(doc(user=user, cluster=cluster))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just some words", "not a kubeconfig"),
        ("{not: [valid", "not valid YAML"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "not a kubeconfig"),
        (b"\xff\xfe\x00", "not text"),
    ],
)
def test_files_that_are_not_kubeconfigs_are_refused(text, message):
    with pytest.raises(KubeconfigError, match=message):
        parse_kubeconfig(text)


def test_contexts_are_listed_and_an_unknown_context_is_named():
    text = doc(contexts=[{"name": "a", "context": {"cluster": "c", "user": "u"}},
                         {"name": "b", "context": {"cluster": "c", "user": "u"}}], current="a")  # fmt: skip
    assert context_names(text) == (["a", "b"], "a")
    assert parse_kubeconfig(text, "b").context == "b"
    with pytest.raises(KubeconfigError, match="no context named 'zz' \\(it has: a, b\\)"):
        parse_kubeconfig(text, "zz")

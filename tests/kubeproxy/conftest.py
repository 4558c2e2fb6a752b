"""Fixtures of the proxy tests: the terminal tests' spaces and pods, daphne with a fast
access re-check, personal tokens, and helpers to run the real kubectl and the installed
k2ctl console script against K2Cloud."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apps.accounts.services import do_create_token
from apps.audit.actors import Actor
from tests.helpers import serve_daphne
from tests.terminal.conftest import (  # noqa: F401  (fixtures)
    _fast_password_hashing,
    _terminal_settings,
    clusters,
    dev,
    make_app,
    make_pod,
    make_space,
    sim,
    space,
    viewer,
)

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
K2CTL = str(Path(sys.executable).with_name("k2ctl"))


@pytest.fixture(autouse=True)
def _proxy_env(monkeypatch):
    """Daphne (another process) re-checks open streams every second."""
    monkeypatch.setenv("K2_PROXY_RECHECK_SECONDS", "1")


@pytest.fixture
def proxy_url(transactional_db, settings, tmp_path):
    """K2Cloud served by daphne over HTTPS, as behind the TLS front of production: kubectl
    sends a bearer token over TLS only. Yields (url, CA file)."""
    from k2sim.pki import ensure_ca, ensure_server_cert

    pki = tmp_path / "pki"
    pki.mkdir()
    ca, _key = ensure_ca(pki)
    cert, key = ensure_server_cert(pki, "k2cloud")
    for url in serve_daphne(settings, tmp_path, tls=(cert, key, ca)):
        yield url, str(ca)


def pat(user, days: int | None = 30) -> str:
    return do_create_token(user, "k2ctl", expires_days=days, actor=Actor.for_user(user))[1]


class Bastion:
    """One person's shell on the bastion: a config folder, k2ctl and kubectl."""

    def __init__(self, home: Path):
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, K2CTL_CONFIG_DIR=str(home / "k2ctl"), HOME=str(home),
                        K2CTL_KUBECTL=KUBECTL, LANG="C.UTF-8")  # fmt: skip
        self.env.pop("KUBECONFIG", None)

    def k2ctl(self, *args: str, check: bool = True, timeout: float = 60, **kw):
        r = subprocess.run([K2CTL, *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout, **kw)  # fmt: skip
        if check and r.returncode != 0:
            raise AssertionError(f"k2ctl {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    def kubectl(self, kubeconfig: Path, *args: str, check: bool = False, timeout: float = 60,
                **kw):  # fmt: skip
        env = dict(self.env, KUBECONFIG=str(kubeconfig))
        r = subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True,
                           timeout=timeout, **kw)  # fmt: skip
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    def login(self, server: tuple[str, str], token: str) -> None:
        url, ca = server
        self.k2ctl("login", "--url", url, "--token", token, "--ca-file", ca)

    def kubeconfig(self, slug: str) -> Path:
        path = self.home / f"{slug}.kubeconfig"
        self.k2ctl("kubeconfig", slug, "--file", str(path))
        return path


@pytest.fixture
def bastion(tmp_path):
    return lambda name: Bastion(tmp_path / "home" / name)

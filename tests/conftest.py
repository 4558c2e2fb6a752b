"""Shared fixtures: personas (one per platform role plus an outsider), API clients,
a real Celery worker process and an extra embedded Redis.

The suite runs under tools/test_stack.py, which starts a throwaway PostgreSQL and an
embedded Redis and passes them in DATABASE_URL and REDIS_URL (see the Makefile).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.accounts.roles import Role, ensure_role_groups
from k2cloud.queues import WORKER_QUEUES
from tests.contract.openapi import ContractAPIClient

ROOT = Path(__file__).resolve().parent.parent
# Playwright's sync API keeps an event loop on the main thread; Django's ORM calls made
# by the test itself (not by the live server's threads) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a page asked for in Chinese must not leave
    Chinese active for the next test's direct calls."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas have passwords; hashing them at production strength costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def backup_store(settings, tmp_path_factory):
    """Backups (a deletion takes one first) go to a throwaway folder, never to var/."""
    settings.K2_BACKUP_STORE_URL = f"file://{tmp_path_factory.getbasetemp() / 'backups'}"


def make_user(django_user_model, username: str, *roles: Role, **extra):
    from django.contrib.auth.models import Group

    ensure_role_groups()
    user = django_user_model.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.test", **extra
    )
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    return user


@pytest.fixture
def alice(django_user_model):
    """An employee."""
    return make_user(django_user_model, "alice", Role.EMPLOYEE)


@pytest.fixture
def bob(django_user_model):
    """An approver (also an employee)."""
    return make_user(django_user_model, "bob", Role.EMPLOYEE, Role.APPROVER)


@pytest.fixture
def admin_user(django_user_model):
    """A platform admin."""
    return make_user(django_user_model, "root", Role.PLATFORM_ADMIN, is_staff=True)


@pytest.fixture
def dana(django_user_model):
    """An analyst."""
    return make_user(django_user_model, "dana", Role.ANALYST)


@pytest.fixture
def charlie(django_user_model):
    """An outsider: signed in, but with no platform role."""
    return make_user(django_user_model, "charlie")


@pytest.fixture
def api():
    return ContractAPIClient()


def api_as(user) -> APIClient:
    """An API client signed in as `user`; every response is checked against the contract."""
    client = ContractAPIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def require_postgres():
    """For tests whose point is PostgreSQL behaviour (row locks, triggers): fail loudly elsewhere."""
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL: run it through `make test` (tools/test_stack.py)")


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real `celery worker` process on the suite's Redis and test database.

    Tests that use it must commit their data (transactional_db), since the worker is
    another process with its own connection.
    """
    env = dict(os.environ)
    # A loaded 2-core test machine is not a slow cluster (latency is tested in tests/clusters).
    env.setdefault("K2_CLUSTER_PROBE_SLOW_MS", "10000")
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "k2cloud", "worker", "--pool=solo",
         "-Q", WORKER_QUEUES, "--loglevel=WARNING", "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    from k2cloud.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            break
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited: {proc.stdout.read()}")
    else:
        proc.kill()
        pytest.fail("celery worker did not answer a ping within 60 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- k2sim ---------------------------------------------------------------------------------
# Every emulated cluster the suite uses, started once per session in one k2sim. Each test
# area asks for its own clusters by name through `sim_for` (its `sim` fixture), so areas
# never share a cluster's options; the clusters tests, the spaces tests and the k2sim
# conformance tests share "test" and "prod" and keep to their own namespaces there.
K2SIM_CLUSTERS: dict[str, dict] = {
    "test": {"nodes": 3, "install_calico": False, "pod_ready_delay": 0.1, "log_interval": 0.1},
    "prod": {"nodes": 3, "pod_ready_delay": 0.1, "log_interval": 0.1},
    "ml": {"nodes": 3},
    "test2": {"nodes": 2},
    **{name: {"nodes": 2, "pod_ready_delay": 0.05, "log_interval": 5.0, "install_calico": False}
       for name in ("rc-a", "rc-b", "rc-c")},
    **{name: {"nodes": 2, "pod_ready_delay": 0.05, "log_interval": 1.0, "install_calico": False}
       for name in ("wl-test", "wl-test2", "wl-prod")},
    # IPAM cleanup (tests/ipam): a third of deleted pods leak their Calico IP; one without Calico.
    "ipam": {"nodes": 4, "ip_leak_rate": 0.3, "pod_ready_delay": 0.0, "log_interval": 5.0},
    "ipam-nocalico": {"nodes": 1, "install_calico": False, "log_interval": 5.0},
    # The event center (tests/events): OOM kills and crash loops on a cluster of its own.
    "events": {"nodes": 2, "install_calico": False, "pod_ready_delay": 0.05, "log_interval": 5.0},
    # Registry retention (tests/registries): pods that run images of the test registries.
    "registries": {"nodes": 1, "install_calico": False, "pod_ready_delay": 0.0, "log_interval": 5.0},
}  # fmt: skip


@pytest.fixture(scope="session")
def k2sim_clusters(tmp_path_factory):
    """The session's one k2sim with every cluster of K2SIM_CLUSTERS (started on first use)."""
    from k2sim.testing import running_clusters

    with running_clusters(
        tuple(K2SIM_CLUSTERS),
        state_dir=tmp_path_factory.mktemp("k2sim"),
        cluster_options=K2SIM_CLUSTERS,
    ) as running:
        yield running


def sim_for(running, names):
    """The clusters `names` of the session's k2sim, as a RunningClusters of their own."""
    from k2sim.testing import RunningClusters

    return RunningClusters(
        clusters={name: running[name] for name in names},
        kubeconfig_path=running.kubeconfig_path,
        state_dir=running.state_dir,
    )


# --- browser -----------------------------------------------------------------------------
CHROMIUM = os.environ.get("K2_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Every page a browser test opens reports Content-Security-Policy violations (the
# `securitypolicyviolation` event, and Chromium's console message) to the test: the `page`
# fixture fails the test when there was any.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__k2CspReport(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || location.pathname}:${e.lineNumber}`);
});
"""


def _is_csp_message(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


def watch_csp(context) -> list[str]:
    """The list the CSP violations of every page of `context` are appended to."""
    violations: list[str] = []
    context.expose_binding(
        "__k2CspReport", lambda source, text: violations.append(f"{source['frame'].url}: {text}")
    )
    context.add_init_script(CSP_LISTENER)
    context.on(
        "console",
        lambda message: (
            violations.append(f"console: {message.text}") if _is_csp_message(message.text) else None
        ),
    )
    return violations


def _polling_wait_for_function(page):
    """page.wait_for_function without eval in the page: Playwright compiles a string
    predicate with eval inside the page, which the portal's CSP (rightly) blocks; here the
    predicate is evaluated through the DevTools protocol, which CSP does not govern."""

    def wait_for_function(expression, *, arg=None, timeout=None, polling=None):
        deadline = time.monotonic() + (timeout if timeout is not None else 15_000) / 1000
        interval = polling / 1000 if isinstance(polling, int | float) else 0.05
        from playwright.sync_api import Error as PlaywrightError

        while True:
            try:
                value = page.evaluate(expression, arg)
            except PlaywrightError:  # the page navigated meanwhile: ask again
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: N814

                raise PlaywrightTimeoutError(f"wait_for_function timed out: {expression[:200]}")
            time.sleep(interval)

    return wait_for_function


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser context on the live server; a screenshot is kept on failure; any
    Content-Security-Policy violation on any page it opened fails the test."""
    context = chromium.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    violations = watch_csp(context)
    page = context.new_page()
    page.wait_for_function = _polling_wait_for_function(page)
    yield page
    failed = getattr(request.node, "rep_call", None) and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=user-menu]")


def pytest_collection_modifyitems(session, config, items):
    """The chaos suite restarts the suite's Redis and kills workers: it runs last, so no
    other test meets connections to the Redis it replaced."""
    items.sort(key=lambda item: item.get_closest_marker("chaos") is not None)

"""schemathesis over the whole API, as a platform admin and as an employee.

Every documented operation gets up to FUZZ_EXAMPLES generated requests per persona (3 by
default; K2_FUZZ_EXAMPLES=25 for a deeper run); the answer must never be a 5xx and must
match docs/openapi.yaml. As the admin, who may reach every operation, schemathesis' coverage
phase adds its boundary and invalid values of every parameter and body field (most of this
suite's time); the employee gets the generated requests only, since the same validation
runs behind their permission checks. Requests with undocumented methods are left to
Django's 405 (K2_FUZZ_UNEXPECTED_METHODS=1 sends them too). The requests go in-process
through Django's WSGI application inside the test's own transaction, rolled back at its
end, so the fuzzed rows never reach later tests; nothing is committed, so no task is
queued and no cluster is contacted.

Excluded: only the operations that would make the server connect to an address the
request chose (registering a cluster, changing its credentials).
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from apps.audit.actors import Actor
from tests.conftest import make_user
from tests.contract.openapi import SCHEMA_PATH

FUZZ_EXAMPLES = int(os.environ.get("K2_FUZZ_EXAMPLES", "3"))
UNEXPECTED_METHODS = os.environ.get("K2_FUZZ_UNEXPECTED_METHODS") == "1"


def _schema(*, coverage: bool):
    coverage_phase: dict = {"enabled": coverage}
    if not UNEXPECTED_METHODS:
        coverage_phase["unexpected-methods"] = []
    config = SchemathesisConfig.from_dict({"phases": {"coverage": coverage_phase}})
    return (
        schemathesis.openapi.from_path(str(SCHEMA_PATH), config=config)
        .exclude(path="/api/v1/clusters/", method="POST")
        .exclude(path="/api/v1/clusters/{name}/", method="PATCH")
    )


admin_schema = _schema(coverage=True)
employee_schema = _schema(coverage=False)
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture(scope="module")
def wsgi_app():
    """Django's WSGI application, keeping the test's connection open between requests
    (as Django's test client does) so every request runs inside the test transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _bearer(user, settings) -> str:
    from apps.accounts.services import do_create_token

    # The budgets are tested in tests/security; here they would only hide answers.
    framework = dict(settings.REST_FRAMEWORK)
    framework["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(
        ("api", "token-create", "cluster-register"), "100000/min"
    )
    settings.REST_FRAMEWORK = framework
    _token, raw = do_create_token(user, "fuzz", expires_days=None, actor=Actor.for_user(user))
    return f"Bearer {raw}"


@pytest.fixture
def admin_bearer(django_user_model, settings):
    from apps.accounts.roles import Role

    user = make_user(django_user_model, "fuzz-admin", Role.PLATFORM_ADMIN, is_staff=True)
    return _bearer(user, settings)


@pytest.fixture
def employee_bearer(django_user_model, settings):
    from apps.accounts.roles import Role

    return _bearer(make_user(django_user_model, "fuzz-employee", Role.EMPLOYEE), settings)


def _call(case, bearer, wsgi_app):
    response = case.call(app=wsgi_app, headers={"Authorization": bearer})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


@admin_schema.parametrize()
@FUZZ_SETTINGS
def test_api_answers_the_admin_within_its_contract(case, admin_bearer, wsgi_app):
    _call(case, admin_bearer, wsgi_app)


@employee_schema.parametrize()
@FUZZ_SETTINGS
def test_api_answers_an_employee_within_its_contract(case, employee_bearer, wsgi_app):
    _call(case, employee_bearer, wsgi_app)

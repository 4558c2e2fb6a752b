"""Production settings pass `check --deploy`; unsafe ones fail closed; JSON logs on request."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#production-grade-secret-key-with-enough-entropy-ab8c9d0e1f2g3h4i",
    "ALLOWED_HOSTS": "k2.example.com",
    "K2_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "sqlite:////tmp/k2-deploy-check.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6399/0",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {*PRODUCTION, "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_encryption_keys_fail_check_deploy():
    result = manage("check", "--deploy", **{**PRODUCTION, "K2_ENCRYPTION_KEYS": ""})
    assert result.returncode != 0
    assert "k2.E001" in result.stderr


def test_no_secret_key_refuses_to_start_in_production():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.smoke
def test_json_logging_option_emits_json_lines():
    code = "import logging; logging.getLogger('k2cloud.test').warning('hello %s', 'world')"
    result = manage("shell", "-c", code, **PRODUCTION, LOG_FORMAT="json")
    line = next(line for line in result.stderr.splitlines() if "hello world" in line)
    record = json.loads(line)
    assert record["message"] == "hello world"
    assert record["level"] == "WARNING"
    assert record["request_id"] == "-"


def test_secrets_can_come_from_files(tmp_path):
    """Container secrets: SECRET_KEY_FILE, K2_ENCRYPTION_KEYS_FILE and
    K2_ANALYTICS_FORWARD_TOKEN_FILE are read instead of the variables."""
    files = {}
    for name, value in {
        "SECRET_KEY": PRODUCTION["SECRET_KEY"],
        "K2_ENCRYPTION_KEYS": PRODUCTION["K2_ENCRYPTION_KEYS"],
        "K2_ANALYTICS_FORWARD_TOKEN": "forward-token-from-a-file",
    }.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n")
        files[f"{name}_FILE"] = str(path)
    env = {k: v for k, v in PRODUCTION.items() if k not in {"SECRET_KEY", "K2_ENCRYPTION_KEYS"}}
    secret, keys = PRODUCTION["SECRET_KEY"], PRODUCTION["K2_ENCRYPTION_KEYS"]
    code = (
        "from django.conf import settings as s;"
        f"print(s.SECRET_KEY == {secret!r}, s.K2_ENCRYPTION_KEYS == [{keys!r}],"
        " s.K2_ANALYTICS_FORWARD_TOKEN)"
    )
    result = manage("shell", "-v", "0", "-c", code, **env, **files)
    assert result.returncode == 0, result.stdout + result.stderr
    # The last line: the shell may first say how many objects it imported.
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "True",
        "forward-token-from-a-file",
    ]

"""The API contract is committed (docs/openapi.yaml) and the code must match it.

A change to the API shows up as a diff of that file in review; `make schema` rewrites it.
"""

import difflib
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_generated_schema_matches_the_committed_contract(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    committed = (ROOT / "docs" / "openapi.yaml").read_text().splitlines()
    changes = list(difflib.unified_diff(committed, out.read_text().splitlines(), lineterm="", n=1))
    assert not changes, "the API changed: run `make schema` and commit docs/openapi.yaml\n" + (
        "\n".join(changes[:40])
    )


@pytest.mark.django_db
def test_schema_documents_the_token_scheme(tmp_path):
    import yaml

    schema = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    assert schema["components"]["securitySchemes"]["personalAccessToken"]["scheme"] == "bearer"
    assert "/api/v1/tokens/" in schema["paths"]

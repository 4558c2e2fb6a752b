"""Responses checked against the committed contract, docs/openapi.yaml.

`ContractAPIClient` (what `api_as()` and the `api` fixture hand out) validates every JSON
response of a documented /api/ operation against the schema of its status code, and fails
the test on a violation. OpenAPI 3.0 schemas are turned into JSON Schema (nullable) and
checked with jsonschema.
"""

import functools
import re
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource
from rest_framework.test import APIClient

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
UNDOCUMENTED = {"/api/v1/schema/"}  # the schema itself (SERVE_INCLUDE_SCHEMA is off)


class ContractViolation(AssertionError):
    """A response does not match docs/openapi.yaml."""


def _json_schema(node):
    """OpenAPI 3.0 schema object -> JSON Schema (draft 2020-12)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@functools.lru_cache(maxsize=1)
def contract():
    spec = yaml.safe_load(SCHEMA_PATH.read_text())
    components = _json_schema(spec.get("components", {}))
    root = Resource.from_contents(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": components}
    )
    registry = Registry().with_resource("urn:k2cloud:openapi", root)
    operations = []
    for template, methods in spec["paths"].items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        for method, operation in methods.items():
            operations.append((re.compile(f"^{pattern}$"), method.lower(), template, operation))
    # Literal segments win over parameters (/clusters/environments/ before /clusters/{name}/).
    operations.sort(key=lambda op: op[2].count("{"))
    return operations, registry


def find_operation(method: str, path: str):
    operations, _registry = contract()
    for pattern, op_method, template, operation in operations:
        if op_method == method.lower() and pattern.match(path):
            return template, operation
    return None, None


def _rewrite_refs(node):
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        k: (f"urn:k2cloud:openapi{v}" if k == "$ref" and isinstance(v, str) else _rewrite_refs(v))
        for k, v in node.items()
    }


def check_response(method: str, path: str, status: int, content_type: str, body) -> None:
    """Raise ContractViolation when a documented operation answers off-contract."""
    template, operation = find_operation(method, path)
    if operation is None:
        if (path.startswith("/api/v1/") and path not in UNDOCUMENTED and status < 400
                and method.upper() not in ("OPTIONS", "HEAD")):  # fmt: skip
            raise ContractViolation(f"{method} {path} is not in docs/openapi.yaml")
        return
    responses = operation.get("responses", {})
    documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if documented is None:
        if status < 400:
            raise ContractViolation(
                f"{method} {template} answered {status}, which docs/openapi.yaml does not list"
            )
        return  # errors use the one envelope; checked by tests/core/test_errors.py
    media = documented.get("content", {})
    if not media or not content_type.startswith("application/json"):
        return
    schema = media.get("application/json", {}).get("schema")
    if schema is None:
        return
    _operations, registry = contract()
    validator = jsonschema.Draft202012Validator(
        _rewrite_refs(_json_schema(schema)), registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )  # fmt: skip
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}"
                 for e in errors[:10]]  # fmt: skip
        raise ContractViolation(
            f"{method} {path} -> {status} violates docs/openapi.yaml ({template}):\n"
            + "\n".join(lines)
        )


class ContractAPIClient(APIClient):
    """APIClient that checks every API response against docs/openapi.yaml."""

    validate_contract = True

    def request(self, **kwargs):
        response = super().request(**kwargs)
        path = kwargs.get("PATH_INFO", "")
        if self.validate_contract and path.startswith("/api/") and not response.streaming:
            content_type = response.get("Content-Type", "")
            body = None
            if content_type.startswith("application/json") and response.content:
                body = response.json()
            check_response(kwargs.get("REQUEST_METHOD", "GET"), path, response.status_code,
                           content_type, body)  # fmt: skip
        return response

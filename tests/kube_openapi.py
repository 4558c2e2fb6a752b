"""Validate Kubernetes manifests against the real OpenAPI v3 schemas in contracts/kubernetes.

Strict like `kubectl apply --validate=strict`: besides types, required fields and enums,
an unknown field is an error (a typo such as `contaners` would otherwise pass silently).
"""

import copy
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft7Validator

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts" / "kubernetes"


def _strict(node):
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)


@cache
def _catalog() -> tuple[dict, dict]:
    schemas: dict = {}
    for path in sorted(CONTRACTS.glob("*_openapi.json")):
        schemas.update(json.loads(path.read_text())["components"]["schemas"])
    by_gvk = {}
    for name, schema in schemas.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            by_gvk[(gvk["group"], gvk["version"], gvk["kind"])] = name
    strict = copy.deepcopy(schemas)
    _strict(strict)
    return strict, by_gvk


def validation_errors(manifest: dict) -> list[str]:
    """Errors of one manifest as 'path: message' strings; empty when it is valid."""
    schemas, by_gvk = _catalog()
    group, _, version = manifest.get("apiVersion", "").rpartition("/")
    name = by_gvk.get((group, version, manifest.get("kind")))
    if name is None:
        return [f"unknown kind {manifest.get('apiVersion')}/{manifest.get('kind')}"]
    validator = Draft7Validator(
        {"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas}}
    )
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]

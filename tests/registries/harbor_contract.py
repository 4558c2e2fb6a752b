"""Checks requests and responses against Harbor's published contract
(contracts/harbor/swagger.yaml, Swagger 2.0): the method and path template
exist, every query parameter is declared, the status is one the operation lists, and a
JSON body matches the declared schema (types and property names, $refs resolved)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

SWAGGER = Path(__file__).resolve().parents[2] / "contracts" / "harbor" / "swagger.yaml"
TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict,
         "number": (int, float)}  # fmt: skip


class ContractError(AssertionError):
    pass


@cache
def spec() -> dict:
    return yaml.safe_load(SWAGGER.read_text())


@cache
def _templates() -> list[tuple[re.Pattern, str]]:
    out = []
    for template in spec()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        out.append((re.compile(f"^{pattern}$"), template))
    # A literal segment wins over a parameter (/system/gc/schedule over /system/gc/{gc_id}).
    out.sort(key=lambda pair: pair[1].count("{"))
    return out


def _param(p: dict) -> dict:
    if "$ref" in p:
        return spec()["parameters"][p["$ref"].rsplit("/", 1)[-1]]
    return p


def operation(method: str, path: str) -> tuple[str, dict]:
    base = spec()["basePath"]
    if not path.startswith(base):
        raise ContractError(f"{path} is outside {base}")
    rel = path[len(base) :]
    for pattern, template in _templates():
        if pattern.match(rel):
            op = spec()["paths"][template].get(method.lower())
            if op is None:
                raise ContractError(f"{method} {template} is not in the Harbor contract")
            return template, op
    raise ContractError(f"{method} {rel} matches no path of the Harbor contract")


def check_request(method: str, path: str, query: dict, body=None) -> tuple[str, dict]:
    template, op = operation(method, path)
    params = [_param(p) for p in op.get("parameters", [])]
    declared = {p["name"] for p in params if p.get("in") == "query"}
    unknown = set(query) - declared
    if unknown:
        raise ContractError(f"{method} {template}: query {sorted(unknown)} not in the contract")
    bodies = [p for p in params if p.get("in") == "body"]
    if body is not None:
        if not bodies:
            raise ContractError(f"{method} {template} takes no body")
        check_value(body, bodies[0]["schema"], f"{method} {template} body")
    return template, op


def check_response(method: str, template: str, op: dict, status: int, body) -> None:
    responses = op.get("responses", {})
    if str(status) not in responses:
        raise ContractError(f"{method} {template}: status {status} not in {sorted(responses)}")
    schema = responses[str(status)].get("schema")
    if schema is not None and body is not None:
        check_value(body, schema, f"{method} {template} -> {status}")


def check_value(value, schema: dict, where: str) -> None:
    if "$ref" in schema:
        schema = spec()["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if value is None or kind is None:
        return
    if not isinstance(value, TYPES[kind]) or (kind == "integer" and isinstance(value, bool)):
        raise ContractError(f"{where}: {value!r} is not {kind}")
    if kind == "array":
        for i, item in enumerate(value):
            check_value(item, schema.get("items") or {}, f"{where}[{i}]")
    elif kind == "object" and "properties" in schema:
        props = schema["properties"]
        extra = set(value) - set(props)
        if extra and not schema.get("additionalProperties"):
            raise ContractError(f"{where}: properties {sorted(extra)} not in the contract")
        for key, inner in value.items():
            if key in props:
                check_value(inner, props[key], f"{where}.{key}")

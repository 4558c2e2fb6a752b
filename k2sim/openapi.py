"""OpenAPI v3 documents from contracts/kubernetes: served to kubectl, used to validate
objects (422 with field paths) and to find strategic-merge / list-map keys."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from typing import Any

from .resources import K8S_CONTRACTS, Resource

Node = dict[str, Any]

UNKNOWN = object()


def _file_for(path: str):
    # "api/v1" -> api__v1_openapi.json ; "apis/apps/v1" -> apis__apps__v1_openapi.json
    return K8S_CONTRACTS / (path.replace("/", "__") + "_openapi.json")


@cache
def builtin_paths() -> dict[str, bytes]:
    """Served group-version paths -> raw document bytes."""
    out = {}
    for f in sorted(K8S_CONTRACTS.glob("*_openapi.json")):
        key = f.name[: -len("_openapi.json")].replace("__", "/")
        out[key] = f.read_bytes()
    return out


def doc_hash(raw: bytes) -> str:
    return hashlib.sha512(raw).hexdigest().upper()


class Schemas:
    """All component schemas from every vendored document, with GVK lookup."""

    def __init__(self) -> None:
        self.schemas: dict[str, Node] = {}
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        for raw in builtin_paths().values():
            doc = json.loads(raw)
            for name, s in doc.get("components", {}).get("schemas", {}).items():
                self.schemas.setdefault(name, s)
                for gvk in s.get("x-kubernetes-group-version-kind", []):
                    self.by_gvk[(gvk["group"], gvk["version"], gvk["kind"])] = name

    def resolve(self, node: Node | None) -> Node | None:
        while node is not None:
            if "$ref" in node:
                node = self.schemas.get(node["$ref"].rsplit("/", 1)[-1])
                continue
            if "allOf" in node and len(node["allOf"]) == 1 and "properties" not in node:
                merged = {k: v for k, v in node.items() if k != "allOf"}
                target = self.resolve(node["allOf"][0]) or {}
                node = {**target, **merged}
                continue
            return node
        return None

    def for_gvk(self, group: str, version: str, kind: str) -> Node | None:
        name = self.by_gvk.get((group, version, kind))
        return self.schemas.get(name) if name else None


@cache
def schemas() -> Schemas:
    return Schemas()


# -- navigation helpers used by patch.py and apply.py -------------------------------------
class SchemaCursor:
    """Walks a schema tree alongside an object; ``None`` schema means "unknown, be generic"."""

    def __init__(self, node: Node | None):
        self.node = schemas().resolve(node) if node is not None else None

    def field(self, name: str) -> SchemaCursor:
        if self.node is None:
            return SchemaCursor(None)
        props = self.node.get("properties") or {}
        if name in props:
            return SchemaCursor(props[name])
        ap = self.node.get("additionalProperties")
        if isinstance(ap, dict):
            return SchemaCursor(ap)
        return SchemaCursor(None)

    def raw_field(self, name: str) -> Node:
        if self.node is None:
            return {}
        return (self.node.get("properties") or {}).get(name) or {}

    def items(self) -> SchemaCursor:
        if self.node is None:
            return SchemaCursor(None)
        return SchemaCursor(self.node.get("items"))

    def patch_meta(self, name: str) -> tuple[str, str]:
        """(patch strategy, merge key) for a list field, from x-kubernetes-patch-* tags."""
        f = self.raw_field(name)
        return f.get("x-kubernetes-patch-strategy", ""), f.get("x-kubernetes-patch-merge-key", "")

    def list_keys(self, name: str) -> tuple[str, list[str]]:
        """(list type, map keys) used by server-side apply for associative lists."""
        f = self.raw_field(name)
        lt = f.get("x-kubernetes-list-type", "")
        keys = f.get("x-kubernetes-list-map-keys") or []
        if not lt and f.get("x-kubernetes-patch-merge-key"):
            return "map", [f["x-kubernetes-patch-merge-key"]]
        return lt or "atomic", keys

    def is_map(self) -> bool:
        """True for string-keyed maps (labels, data) whose keys are not schema fields."""
        return (
            self.node is not None
            and "properties" not in self.node
            and isinstance(self.node.get("additionalProperties"), dict)
        )


def root_for(res: Resource) -> Node | None:
    if res.crd_schema is not None:
        return res.crd_schema
    return schemas().for_gvk(res.group, res.version, res.kind)


# -- validation ----------------------------------------------------------------------------
def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _short(v: Any) -> str:
    s = json.dumps(v)
    return s if len(s) < 60 else s[:57] + "..."


def validate(
    obj: Any, node: Node | None, path: str, causes: list[dict[str, str]], unknown: list[str]
) -> None:
    """Collect schema violations (as Status causes) and unknown fields (for fieldValidation)."""
    node = schemas().resolve(node) if node is not None else None
    if node is None or obj is None:
        return
    if node.get("x-kubernetes-int-or-string"):
        if not isinstance(obj, int | str) or isinstance(obj, bool):
            causes.append(_cause(path, obj, "must be an integer or a string"))
        return
    t = node.get("type")
    actual = _type_name(obj)
    if t and t != actual and not (t == "number" and actual == "integer"):
        causes.append(_cause(path, obj, f'{path} in body must be of type {t}: "{actual}"'))
        return
    if "enum" in node and obj not in node["enum"]:
        allowed = ", ".join(json.dumps(e) for e in node["enum"])
        causes.append(
            {
                "reason": "FieldValueNotSupported",
                "message": f"Unsupported value: {_short(obj)}: supported values: {allowed}",
                "field": path,
            }
        )
    if actual in ("integer", "number"):
        if "minimum" in node and obj < node["minimum"]:
            causes.append(
                _cause(path, obj, f"should be greater than or equal to {node['minimum']}")
            )
        if "maximum" in node and obj > node["maximum"]:
            causes.append(_cause(path, obj, f"should be less than or equal to {node['maximum']}"))
    if actual == "string" and "maxLength" in node and len(obj) > node["maxLength"]:
        causes.append(
            {
                "reason": "FieldValueTooLong",
                "message": f"Too long: may not be more than {node['maxLength']} bytes",
                "field": path,
            }
        )
    if actual == "object":
        props = node.get("properties") or {}
        ap = node.get("additionalProperties")
        preserve = node.get("x-kubernetes-preserve-unknown-fields") or (not props and ap is None)
        for req in node.get("required") or []:
            if obj.get(req) is None:
                causes.append(
                    {
                        "reason": "FieldValueRequired",
                        "message": "Required value",
                        "field": f"{path}.{req}" if path else req,
                    }
                )
        for k, v in obj.items():
            sub = f"{path}.{k}" if path else k
            if k in props:
                validate(v, props[k], sub, causes, unknown)
            elif isinstance(ap, dict):
                validate(v, ap, sub, causes, unknown)
            elif not preserve and ap is not True:
                unknown.append(sub)
    elif actual == "array":
        items = node.get("items")
        if "maxItems" in node and len(obj) > node["maxItems"]:
            causes.append(
                {
                    "reason": "FieldValueTooMany",
                    "message": f"Too many: {len(obj)}: must have at most {node['maxItems']} items",
                    "field": path,
                }
            )
        if items is not None:
            for i, v in enumerate(obj):
                validate(v, items, f"{path}[{i}]", causes, unknown)


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def prune(obj: Any, paths: list[str]) -> None:
    """Drop unknown fields, as the apiserver's decoder does unless validation is Strict."""
    for path in paths:
        toks = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(path)]
        cur = obj
        for name, idx in toks[:-1]:
            cur = (
                cur[int(idx)]
                if idx is not None
                else cur.get(name)
                if isinstance(cur, dict)
                else None
            )
            if cur is None:
                break
        else:
            last = toks[-1][0]
            if isinstance(cur, dict) and last is not None:
                cur.pop(last, None)


def _cause(path: str, value: Any, msg: str) -> dict[str, str]:
    return {
        "reason": "FieldValueInvalid",
        "message": f"Invalid value: {_short(value)}: {msg}",
        "field": path,
    }


# -- documents for CRDs --------------------------------------------------------------------
def crd_document(resources: list[Resource]) -> bytes:
    """An OpenAPI v3 document for one CRD group-version, shaped like the apiserver's, so
    kubectl finds fieldValidation support and the schema."""
    paths: dict[str, Any] = {}
    comps: dict[str, Any] = {}
    params = [
        {"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
        for n in ("dryRun", "fieldManager", "fieldValidation")
    ]
    for res in resources:
        gvk = {"group": res.group, "version": res.version, "kind": res.kind}
        rev = ".".join(reversed(res.group.split(".")))
        sname = f"{rev}.{res.version}.{res.kind}"
        schema = dict(res.crd_schema or {"type": "object"})
        schema["x-kubernetes-group-version-kind"] = [gvk]
        comps[sname] = schema
        ref = {"$ref": f"#/components/schemas/{sname}"}
        base = f"/apis/{res.group}/{res.version}"
        if res.namespaced:
            base += "/namespaces/{namespace}"
        body = {"content": {"application/json": {"schema": ref}}}
        resp = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        op = {"x-kubernetes-group-version-kind": gvk, "responses": resp}
        paths[f"{base}/{res.plural}"] = {
            "get": {**op, "x-kubernetes-action": "list"},
            "post": {
                **op,
                "x-kubernetes-action": "post",
                "parameters": params,
                "requestBody": body,
            },
        }
        paths[f"{base}/{res.plural}/{{name}}"] = {
            "get": {**op, "x-kubernetes-action": "get"},
            "put": {**op, "x-kubernetes-action": "put", "parameters": params, "requestBody": body},
            "patch": {
                **op,
                "x-kubernetes-action": "patch",
                "parameters": [
                    *params,
                    {"name": "force", "in": "query", "schema": {"type": "boolean"}},
                ],
                "requestBody": {
                    "content": {
                        t: {"schema": {"type": "object"}}
                        for t in (
                            "application/json-patch+json",
                            "application/merge-patch+json",
                            "application/apply-patch+yaml",
                        )
                    }
                },
            },
            "delete": {**op, "x-kubernetes-action": "delete"},
        }
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"},
        "paths": paths,
        "components": {"schemas": comps},
    }
    return json.dumps(doc, separators=(",", ":")).encode()

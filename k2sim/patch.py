"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge
patch, whose list merge keys come from the OpenAPI schema like the apiserver's."""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, bad_request
from .openapi import SchemaCursor


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


# -- JSON patch ----------------------------------------------------------------------------
def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for p in parts:
        if isinstance(doc, list):
            doc = doc[int(p)]
        elif isinstance(doc, dict):
            doc = doc[p]
        else:
            raise KeyError(p)
    return doc


def json_patch(doc: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        try:
            doc = _apply_op(doc, op)
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(
                422,
                "Invalid",
                f"the server rejected our request due to an error in our request: {op.get('op')} {op.get('path')}: {exc}",
            ) from exc
    return doc


def _apply_op(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    parts = _pointer(op.get("path", ""))
    if kind == "test":
        if _walk(doc, parts) != op.get("value"):
            raise ApiError(422, "Invalid", f"testing value {op.get('path')} failed")
        return doc
    if kind in ("move", "copy"):
        src = _pointer(op["from"])
        value = copy.deepcopy(_walk(doc, src))
        if kind == "move":
            doc = _remove(doc, src)
        return _add(doc, parts, value)
    if kind == "add":
        return _add(doc, parts, copy.deepcopy(op["value"]))
    if kind == "remove":
        return _remove(doc, parts)
    if kind == "replace":
        if not parts:
            return copy.deepcopy(op["value"])
        parent = _walk(doc, parts[:-1])
        last = parts[-1]
        if isinstance(parent, list):
            parent[int(last)] = copy.deepcopy(op["value"])
        else:
            if last not in parent:
                raise KeyError(f"replace operation does not apply: doc is missing key: {last}")
            parent[last] = copy.deepcopy(op["value"])
        return doc
    raise bad_request(f"unknown json patch op {kind!r}")


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            idx = int(last)
            if idx > len(parent):
                raise IndexError("index out of range")
            parent.insert(idx, value)
    else:
        parent[last] = value
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        del parent[int(last)]
    else:
        del parent[last]
    return doc


# -- strategic merge patch -----------------------------------------------------------------
def strategic_merge(target: Any, patch: Any, cursor: SchemaCursor) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target)
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys") or k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            cur = result.get(field) or []
            result[field] = [x for x in cur if x not in (v or [])]
            continue
        if v is None:
            result.pop(k, None)
            continue
        sub = cursor.field(k)
        if isinstance(v, list):
            strategy, key = cursor.patch_meta(k)
            result[k] = _merge_list(result.get(k), v, strategy, key, sub.items())
        elif isinstance(v, dict):
            merged = strategic_merge(result.get(k), v, sub)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        else:
            result[k] = v
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(
    current: Any, patch: list[Any], strategy: str, key: str, items: SchemaCursor
) -> list[Any]:
    if "merge" not in strategy or not isinstance(current, list):
        return [
            strategic_merge({}, p, items) if isinstance(p, dict) else copy.deepcopy(p)
            for p in patch
            if not (isinstance(p, dict) and p.get("$patch") == "delete")
        ]
    if not key:
        # merge strategy on a primitive list: union, keeping order.
        out = list(current)
        for p in patch:
            if isinstance(p, dict) and p.get("$patch") == "replace":
                return [x for x in patch if not isinstance(x, dict)]
            if p not in out:
                out.append(p)
        return out
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [copy.deepcopy(p) for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    out = [copy.deepcopy(c) for c in current]
    for p in patch:
        if not isinstance(p, dict):
            continue
        kv = p.get(key)
        idx = next((i for i, c in enumerate(out) if isinstance(c, dict) and c.get(key) == kv), None)
        if p.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(strategic_merge({}, p, items))
        else:
            out[idx] = strategic_merge(out[idx], p, items)
    return out

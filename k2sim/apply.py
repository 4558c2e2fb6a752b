"""Server-side apply and managedFields.

Field ownership is tracked as sets of paths in the apiserver's FieldsV1 notation
("f:spec", 'k:{"name":"web"}', "v:..." and "." for an element itself). Apply merges the
manager's configuration, reports conflicts with fields other managers own (409 unless
force), and removes fields the manager applied before but no longer applies and nobody else
owns -- the behaviour K2Cloud's reconciler relies on.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from .errors import ApiError
from .openapi import SchemaCursor

Path = tuple[str, ...]
SKIP_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(item: dict[str, Any], keys: list[str]) -> str:
    return "k:" + json.dumps({k: item.get(k) for k in keys if k in item}, separators=(",", ":"))


def fieldset(obj: Any, cursor: SchemaCursor, prefix: Path = (), top: bool = True) -> set[Path]:
    out: set[Path] = set()
    if not isinstance(obj, dict):
        return out
    for k, v in obj.items():
        if top and k in ("apiVersion", "kind", "status"):
            continue
        if prefix == ("f:metadata",) and k in SKIP_META:
            continue
        p = (*prefix, "f:" + k)
        sub = cursor.field(k)
        if isinstance(v, dict) and v:
            out |= fieldset(v, sub, p, top=False)
        elif isinstance(v, list):
            lt, keys = cursor.list_keys(k)
            if lt == "map" and keys and all(isinstance(i, dict) for i in v):
                for item in v:
                    kp = (*p, _key(item, keys))
                    out.add((*kp, "."))
                    out |= fieldset(item, sub.items(), kp, top=False)
            elif lt == "set":
                for item in v:
                    out.add((*p, "v:" + json.dumps(item, separators=(",", ":"))))
            else:
                out.add(p)
        else:
            out.add(p)
    return out


_MISSING = object()


def get_at(obj: Any, path: Path) -> Any:
    cur = obj
    for el in path:
        if el == ".":
            return cur
        if el.startswith("f:"):
            if not isinstance(cur, dict) or el[2:] not in cur:
                return _MISSING
            cur = cur[el[2:]]
        elif el.startswith("k:"):
            want = json.loads(el[2:])
            if not isinstance(cur, list):
                return _MISSING
            cur = next(
                (
                    i
                    for i in cur
                    if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())
                ),
                _MISSING,
            )
            if cur is _MISSING:
                return cur
        elif el.startswith("v:"):
            val = json.loads(el[2:])
            return val if isinstance(cur, list) and val in cur else _MISSING
    return cur


def remove_at(obj: Any, path: Path) -> None:
    if not path:
        return
    if path[-1] == ".":
        path = path[:-1]
    parent = get_at(obj, path[:-1]) if len(path) > 1 else obj
    el = path[-1]
    if parent is _MISSING:
        return
    if el.startswith("f:") and isinstance(parent, dict):
        parent.pop(el[2:], None)
    elif el.startswith("k:") and isinstance(parent, list):
        want = json.loads(el[2:])
        parent[:] = [
            i
            for i in parent
            if not (isinstance(i, dict) and all(i.get(k) == v for k, v in want.items()))
        ]
    elif el.startswith("v:") and isinstance(parent, list):
        val = json.loads(el[2:])
        parent[:] = [i for i in parent if i != val]


def encode(fields: set[Path]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for p in fields:
        cur = root
        for el in p:
            cur = cur.setdefault(el, {})
    return root


def decode(fv1: dict[str, Any], prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for k, sub in fv1.items():
        if k == ".":
            out.add((*prefix, "."))
        elif not sub:
            out.add((*prefix, k))
        else:
            out |= decode(sub, (*prefix, k))
    return out


def ssa_merge(live: Any, cfg: Any, cursor: SchemaCursor) -> Any:
    if not isinstance(cfg, dict) or not isinstance(live, dict):
        return copy.deepcopy(cfg)
    out = dict(live)
    for k, v in cfg.items():
        sub = cursor.field(k)
        if isinstance(v, dict):
            out[k] = ssa_merge(live.get(k, {}), v, sub) if v else {}
        elif isinstance(v, list):
            lt, keys = cursor.list_keys(k)
            cur = live.get(k)
            if lt == "map" and keys and isinstance(cur, list):
                merged = [copy.deepcopy(i) for i in cur]
                for item in v:
                    kk = _key(item, keys)
                    idx = next(
                        (
                            n
                            for n, i in enumerate(merged)
                            if isinstance(i, dict) and _key(i, keys) == kk
                        ),
                        None,
                    )
                    if idx is None:
                        merged.append(copy.deepcopy(item))
                    else:
                        merged[idx] = ssa_merge(merged[idx], item, sub.items())
                out[k] = merged
            elif lt == "set" and isinstance(cur, list):
                out[k] = list(cur) + [i for i in v if i not in cur]
            else:
                out[k] = copy.deepcopy(v)
        else:
            out[k] = v
    return out


# -- managedFields bookkeeping -------------------------------------------------------------
def managers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj.get("metadata", {}).get("managedFields") or [])


def _entry(manager: str, op: str, api_version: str, fields: set[Path], sub: str) -> dict:
    e = {
        "manager": manager,
        "operation": op,
        "apiVersion": api_version,
        "time": now_iso(),
        "fieldsType": "FieldsV1",
        "fieldsV1": encode(fields),
    }
    if sub:
        e["subresource"] = sub
    return e


def _set_entries(obj: dict[str, Any], table: list[tuple[dict[str, Any], set[Path]]]) -> None:
    out = []
    for e, fields in table:
        if not fields:
            continue
        e = dict(e)
        e["fieldsV1"] = encode(fields)
        out.append(e)
    obj["metadata"]["managedFields"] = out


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    cursor: SchemaCursor,
    api_version: str,
    subresource: str = "",
) -> None:
    """Give ``manager`` (operation Update) the fields it changed, taking them from others."""
    new_fields = fieldset(new, cursor)
    if old is None:
        new["metadata"]["managedFields"] = (
            [_entry(manager, "Update", api_version, new_fields, subresource)] if new_fields else []
        )
        return
    changed = {p for p in new_fields if get_at(old, p) != get_at(new, p)}
    table = [(e, decode(e.get("fieldsV1") or {})) for e in managers(old)]
    table = [(e, {p for p in f if p in new_fields and p not in changed}) for e, f in table]
    mine = next(
        (
            (e, f)
            for e, f in table
            if e["manager"] == manager
            and e["operation"] == "Update"
            and e.get("subresource", "") == subresource
        ),
        None,
    )
    if mine is None:
        if changed:
            table.append((_entry(manager, "Update", api_version, set(), subresource), changed))
    else:
        mine[1].update(changed)
        mine[0]["time"] = now_iso()
    _set_entries(new, table)


def apply(
    live: dict[str, Any] | None,
    cfg: dict[str, Any],
    manager: str,
    force: bool,
    cursor: SchemaCursor,
    api_version: str,
) -> dict[str, Any]:
    """Return the new object after server-side apply of ``cfg`` by ``manager``."""
    applied = fieldset(cfg, cursor)
    if live is None:
        obj = copy.deepcopy(cfg)
        obj.setdefault("metadata", {})["managedFields"] = [
            _entry(manager, "Apply", api_version, applied, "")
        ]
        return obj
    table = [(dict(e), decode(e.get("fieldsV1") or {})) for e in managers(live)]
    conflicts: list[tuple[str, Path]] = []
    for e, owned in table:
        if e["manager"] == manager and e["operation"] == "Apply":
            continue
        for p in applied & owned:
            if p[-1] == ".":
                continue
            if get_at(live, p) != get_at(cfg, p):
                conflicts.append((e["manager"], p))
    if conflicts and not force:
        raise _conflict_error(conflicts)
    if conflicts:
        lost = {p for _, p in conflicts}
        table = [(e, f - lost) for e, f in table]
    prev = next(
        (f for e, f in table if e["manager"] == manager and e["operation"] == "Apply"), set()
    )
    merged = ssa_merge(live, cfg, cursor)
    others: set[Path] = set()
    for e, f in table:
        if not (e["manager"] == manager and e["operation"] == "Apply"):
            others |= f
    dropped = prev - applied
    for p in sorted(dropped, key=lambda p: (p[-1] != ".", len(p))):
        if p in others or any(o[: len(p) - 1] == p[:-1] for o in others if p[-1] == "."):
            continue
        remove_at(merged, p)
    # Keep the manager's entry where it was, so re-applying an unchanged configuration is a
    # no-op (no new resourceVersion), which is what lets a reconciler apply idempotently.
    mine = (_entry(manager, "Apply", api_version, set(), ""), applied)
    new_table = [
        mine if (e["manager"] == manager and e["operation"] == "Apply") else (e, f)
        for e, f in table
    ]
    if not any(e is mine[0] for e, _ in new_table):
        new_table.append(mine)
    merged.setdefault("metadata", {})
    _set_entries(merged, new_table)
    return merged


def _fmt(p: Path) -> str:
    out = ""
    for el in p:
        if el == ".":
            continue
        if el.startswith("f:"):
            out += "." + el[2:]
        else:
            out += "[" + el[2:] + "]"
    return out


def _conflict_error(conflicts: list[tuple[str, Path]]) -> ApiError:
    conflicts.sort(key=lambda c: (c[0], _fmt(c[1])))
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{m}": {_fmt(p)}',
            "field": _fmt(p),
        }
        for m, p in conflicts
    ]
    if len(causes) == 1:
        msg = f"Apply failed with 1 conflict: {causes[0]['message']}"
    else:
        msg = f"Apply failed with {len(causes)} conflicts: " + "\n".join(
            c["message"] for c in causes
        )
    return ApiError(409, "Conflict", msg, {"causes": causes})

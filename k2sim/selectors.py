"""Label and field selectors with the apiserver's grammar (=, ==, !=, in, notin, exists, !)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import bad_request

Matcher = Callable[[dict[str, Any]], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9._/-]+)\s*(?:(in|notin)\s*\((.*?)\))?\s*$")


def _split_top(expr: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in expr:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(expr: str | None) -> Callable[[dict[str, str]], bool]:
    """Return a predicate over a labels dict; raises 400 on malformed selectors."""
    if not expr or not expr.strip():
        return lambda labels: True
    reqs: list[Callable[[dict[str, str]], bool]] = []
    for term in _split_top(expr):
        if "!=" in term:
            k, v = (s.strip() for s in term.split("!=", 1))
            reqs.append(lambda lb, k=k, v=v: lb.get(k) != v)
            continue
        if "==" in term or ("=" in term and " in " not in term and "notin" not in term):
            sep = "==" if "==" in term else "="
            k, v = (s.strip() for s in term.split(sep, 1))
            if not k:
                raise bad_request(f"unable to parse requirement: {term!r}")
            reqs.append(lambda lb, k=k, v=v: lb.get(k) == v)
            continue
        m = _SET_RE.match(term)
        if not m:
            raise bad_request(f"unable to parse requirement: found '{term}', expected: key")
        neg, key, op, values = m.groups()
        if op:
            if neg:
                raise bad_request(f"unable to parse requirement: {term!r}")
            vals = {v.strip() for v in values.split(",") if v.strip()}
            if op == "in":
                reqs.append(lambda lb, k=key, vs=vals: lb.get(k) in vs)
            else:
                reqs.append(lambda lb, k=key, vs=vals: lb.get(k) not in vs)
        elif neg:
            reqs.append(lambda lb, k=key: k not in lb)
        else:
            reqs.append(lambda lb, k=key: k in lb)
    return lambda labels: all(r(labels) for r in reqs)


def selector_from_label_selector(sel: dict[str, Any] | None) -> Callable[[dict[str, str]], bool]:
    """Predicate for a metav1.LabelSelector object (matchLabels + matchExpressions)."""
    if sel is None:
        return lambda labels: False
    ml = sel.get("matchLabels") or {}
    exprs = sel.get("matchExpressions") or []

    def match(labels: dict[str, str]) -> bool:
        for k, v in ml.items():
            if labels.get(k) != v:
                return False
        for e in exprs:
            k, op, vals = e.get("key"), e.get("operator"), e.get("values") or []
            if op == "In" and labels.get(k) not in vals:
                return False
            if op == "NotIn" and labels.get(k) in vals:
                return False
            if op == "Exists" and k not in labels:
                return False
            if op == "DoesNotExist" and k in labels:
                return False
        return True

    return match


def label_selector_string(sel: dict[str, Any] | None) -> str:
    """Render a LabelSelector as the string form shown in status.selector of scale."""
    if not sel:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op = e.get("operator")
        vals = ",".join(e.get("values") or [])
        if op == "In":
            parts.append(f"{e['key']} in ({vals})")
        elif op == "NotIn":
            parts.append(f"{e['key']} notin ({vals})")
        elif op == "Exists":
            parts.append(e["key"])
        elif op == "DoesNotExist":
            parts.append("!" + e["key"])
    return ",".join(parts)


def _field_value(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
        if cur is None:
            return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


SUPPORTED_FIELDS_PREFIX = ("metadata.", "spec.", "status.", "involvedObject.", "regarding.")
_EXTRA_FIELDS = {"type", "reason", "source", "reportingComponent"}


def parse_field_selector(expr: str | None) -> Matcher:
    """Predicate over whole objects; supports =, == and != on dotted field paths."""
    if not expr or not expr.strip():
        return lambda obj: True
    reqs: list[Matcher] = []
    for term in _split_top(expr):
        if "!=" in term:
            k, v = (s.strip() for s in term.split("!=", 1))
            neg = True
        elif "==" in term:
            k, v = (s.strip() for s in term.split("==", 1))
            neg = False
        elif "=" in term:
            k, v = (s.strip() for s in term.split("=", 1))
            neg = False
        else:
            raise bad_request(f"invalid selector: '{expr}'; can't understand '{term}'")
        if not (k.startswith(SUPPORTED_FIELDS_PREFIX) or k in _EXTRA_FIELDS):
            raise bad_request(f"field label not supported: {k}")
        if neg:
            reqs.append(lambda o, k=k, v=v: _field_value(o, k) != v)
        else:
            reqs.append(lambda o, k=k, v=v: _field_value(o, k) == v)
    return lambda obj: all(r(obj) for r in reqs)

"""Kubernetes resource quantities ("500m", "128Mi", "1G") as floats, for scheduling and quota."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": 1e-9,
    "u": 1e-6,
}
_RE = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def parse(q: Any) -> float:
    if q is None:
        return 0.0
    if isinstance(q, int | float):
        return float(q)
    return _parse_str(str(q))


@lru_cache(maxsize=4096)
def _parse_str(q: str) -> float:
    m = _RE.match(q.strip())
    if not m or m.group(2) not in _SUFFIX:
        raise ValueError(f"quantities must match the regular expression: {q!r}")
    return float(m.group(1)) * _SUFFIX[m.group(2)]


def fmt_cpu(v: float) -> str:
    if v == int(v):
        return str(int(v))
    return f"{round(v * 1000)}m"


def fmt_mem(v: float) -> str:
    for suf in ("Gi", "Mi", "Ki"):
        unit = _SUFFIX[suf]
        if v >= unit and v % unit == 0:
            return f"{int(v // unit)}{suf}"
    return str(int(v))


def fmt(resource: str, v: float) -> str:
    if "cpu" in resource:
        return fmt_cpu(v)
    if "memory" in resource or "storage" in resource:
        return fmt_mem(v)
    return str(int(v)) if v == int(v) else str(v)

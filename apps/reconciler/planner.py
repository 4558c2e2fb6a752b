"""The pure heart of a pass: desired manifests and observed objects in, a plan out.

No Django, no clients: `plan()` decides what to apply, what to prune and what is fine,
and applies the guards:

- an object is pruned only when the desired state *and* the LIST of its kind are
  complete, its namespace belongs to a desired space on this cluster, no desired owner
  claims it, and its owner is not hands-off (an app being deleted, an app that failed to
  render);
- objects without the managed-by label are never touched (LISTs are label-selected, and
  the planner checks again);
- namespaces are never pruned (deleting a namespace deletes everything in it: the spaces
  app owns that, with its own checks);
- when the prunes would remove more than `max_prune_share` of the cluster's managed
  objects, nothing is pruned and the plan says why (the caller alerts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from apps.reconciler.kinds import APP_LABEL, MANAGED_BY, MANAGER, ORDER, SPEC_HASH, Key

COMPONENT_LABEL = "k2cloud.io/component"

MISSING, MODIFIED, OUTDATED = "missing", "modified", "outdated"


@dataclass(frozen=True)
class Desired:
    """One desired manifest and who wants it."""

    manifest: dict
    space_id: int | None = None
    app_id: int | None = None
    # The owner was applied before: a missing object was deleted out of band.
    owner_applied: bool = False


@dataclass
class Action:
    key: Key
    reason: str  # missing | modified (out of band) | outdated (desired changed)
    desired: Desired
    detail: str = ""


@dataclass
class Plan:
    apply: list[Action] = field(default_factory=list)
    prune: list[Key] = field(default_factory=list)
    unchanged: int = 0
    checked: int = 0
    prune_blocked: str = ""  # why pruning was stopped ("" when it was not)
    orphans: list[Key] = field(default_factory=list)  # prunable, but left (guards)

    @property
    def drifted(self) -> list[Action]:
        return [a for a in self.apply if a.reason == MODIFIED
                or (a.reason == MISSING and a.desired.owner_applied)]  # fmt: skip


def is_managed(obj: dict) -> bool:
    return ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) == MANAGER


def spec_hash(obj: dict) -> str:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(SPEC_HASH, "")


# --- comparing a desired manifest with what the cluster holds ---------------------------
_SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18), "Ki": Decimal(2**10), "Mi": Decimal(2**20),
    "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip


def _quantity(text: str) -> Decimal | None:
    for suffix in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P",
                   "E"):  # fmt: skip
        if text.endswith(suffix):
            number, unit = text[: -len(suffix)], suffix
            break
    else:
        number, unit = text, ""
    try:
        return Decimal(number) * _SUFFIXES[unit]
    except InvalidOperation:
        return None


def _empty(value) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or value == {}
        or value is False
        or (value == 0 and not isinstance(value, bool) and isinstance(value, int))
    )


def _scalar_equal(want, have) -> bool:
    if want == have:
        return True
    if isinstance(want, str) and isinstance(have, str):
        # The API server canonicalises quantities ("0.5" -> "500m", "1024Mi" -> "1Gi").
        a, b = _quantity(want), _quantity(have)
        return a is not None and a == b
    if isinstance(want, int | str) and isinstance(have, int | str) and not isinstance(want, bool):
        return str(want) == str(have)
    return False


def difference(want, have, path: str = "") -> str:
    """'' when everything in `want` is in `have` with the same value, else the first path
    that differs. Fields the server adds (defaults, status) are ignored; a list of objects
    is matched by their "name" where they have one (added items are not drift: server-side
    apply would leave them to whoever added them)."""
    if isinstance(want, dict):
        if have is None:
            have = {}
        if not isinstance(have, dict):
            return path or "."
        for k, v in want.items():
            found = difference(v, have.get(k), f"{path}.{k}")
            if found:
                return found
        return ""
    if isinstance(want, list):
        if have is None:
            have = []
        if not isinstance(have, list):
            return path or "."
        if all(isinstance(x, dict) and "name" in x for x in want):
            by_name = {x.get("name"): x for x in have if isinstance(x, dict)}
            for item in want:
                found = difference(item, by_name.get(item["name"]), f"{path}[{item['name']}]")
                if found:
                    return found
            return ""
        if len(want) != len(have):
            return path
        for i, (a, b) in enumerate(zip(want, have, strict=True)):
            found = difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return ""
    if have is None:
        return "" if _empty(want) else path
    return "" if _scalar_equal(want, have) else path


def compare(desired: dict, observed: dict | None, seen: dict | None = None) -> tuple[str, str]:
    """('', '') when the object is as desired, else (reason, detail).

    `seen` (optional, kept by the caller between passes) remembers objects found equal by
    (uid, resourceVersion, spec hash): an object the server has not changed since is not
    compared field by field again.
    """
    if observed is None:
        return MISSING, ""
    want_hash = spec_hash(desired)
    if spec_hash(observed) != want_hash:
        return OUTDATED, SPEC_HASH
    meta = observed.get("metadata") or {}
    memo = (meta.get("uid"), meta.get("resourceVersion"), want_hash)
    if seen is not None and memo[1] and seen.get(memo[0]) == memo:
        return "", ""
    found = difference(desired, observed)
    if found:
        return MODIFIED, found.lstrip(".")
    if seen is not None and memo[1]:
        seen[memo[0]] = memo
    return "", ""


# --- the plan ------------------------------------------------------------------------------
def plan(
    desired: dict[Key, Desired],
    observed: dict[Key, dict],
    *,
    listed_kinds: set[str],
    desired_complete: bool,
    lists_complete: bool = True,
    prunable_namespaces: set[str],
    hands_off: set[tuple[str, str]] = frozenset(),
    hands_off_namespaces: set[str] = frozenset(),
    max_prune_share: float = 0.5,
    skip: set[Key] = frozenset(),
    seen: dict | None = None,
    prunable_component: str = "",
) -> Plan:
    """Decide what to apply and prune.

    desired: key -> Desired, for the whole scope; observed: key -> object from the
    label-selected LISTs of `listed_kinds` (kinds whose LIST failed are absent from it and
    from this set: they are neither applied nor pruned). `hands_off` holds (namespace, app)
    owners whose objects must be left alone, `hands_off_namespaces` whole namespaces.
    `skip`: keys backing off after failures. `seen`: see compare().
    `prunable_component`: managed objects with this `k2cloud.io/component` label (the
    cluster's log collection, outside any space) are prunable wherever they are.
    """
    result = Plan()
    for key in sorted(desired, key=lambda k: (ORDER.get(k[0], 99), k[1], k[2])):
        if key[0] not in listed_kinds:
            continue
        result.checked += 1
        if key in skip:
            continue
        want = desired[key]
        reason, detail = compare(want.manifest, observed.get(key), seen)
        if reason:
            result.apply.append(Action(key, reason, want, detail))
        else:
            result.unchanged += 1
    candidates = []
    for key, obj in observed.items():
        if key in desired:
            continue
        result.checked += 1
        kind, namespace, _name = key
        if kind == "Namespace" or not is_managed(obj) or key in skip:
            continue
        labels = (obj.get("metadata") or {}).get("labels") or {}
        component = prunable_component and labels.get(COMPONENT_LABEL) == prunable_component
        if not component and (namespace not in prunable_namespaces
                              or namespace in hands_off_namespaces):  # fmt: skip
            continue
        app = labels.get(APP_LABEL, "")
        if (namespace, app) in hands_off:
            continue
        candidates.append(key)
    candidates.sort(key=lambda k: (-ORDER.get(k[0], 99), k[1], k[2]))
    if not candidates:
        return result
    if not desired_complete or not lists_complete:
        result.prune_blocked = "desired" if not desired_complete else "list"
        result.orphans = candidates
        return result
    total = max(1, len(observed))
    if len(candidates) > max_prune_share * total:
        result.prune_blocked = "share"
        result.orphans = candidates
        return result
    result.prune = candidates
    return result

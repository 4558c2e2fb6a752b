"""What every rendered object shares: the render target, K2 labels, names and the spec hash."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "k2cloud"
SPACE_LABEL = "k2cloud.io/space"
APP_LABEL = "k2cloud.io/app"
TRACK_LABEL = "k2cloud.io/track"
REVISION_LABEL = "k2cloud.io/revision"
SPEC_HASH = "k2cloud.io/spec-hash"
CONFIG_HASH = "k2cloud.io/config-hash"
STDOUT_LOGGING = "k2cloud.io/stdout-logging"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
STABLE, CANARY = "stable", "canary"
LOG_ROOT = "/log-dir/k2-logs"


@dataclass(frozen=True)
class Policy:
    """The overcommit policy of the cluster rendered for: requests = limits / ratio."""

    cpu_overcommit: Decimal = Decimal(1)
    memory_overcommit: Decimal = Decimal(1)


@dataclass(frozen=True)
class Release:
    """One revision running as one track: its spec, its number and its replicas here."""

    spec: Mapping
    revision: int
    replicas: int


@dataclass(frozen=True)
class AppTarget:
    """Everything rendering needs about one app on one cluster; no models, no clients."""

    space: str
    namespace: str
    name: str
    stable: Release
    policy: Policy = field(default_factory=Policy)
    paused: bool = False
    restarted_at: str = ""
    canary: Release | None = None
    canary_weight: int = 0


def object_name(app: str, track: str, suffix: str = "") -> str:
    base = app if track == STABLE else f"{app}-{CANARY}"
    return f"{base}-{suffix}" if suffix else base


def k2_labels(target: AppTarget) -> dict:
    return {
        "app.kubernetes.io/name": target.name,
        MANAGED_BY: MANAGER,
        APP_LABEL: target.name,
        SPACE_LABEL: target.space,
    }


def selector_labels(target: AppTarget, track: str) -> dict:
    return {APP_LABEL: target.name, TRACK_LABEL: track}


def workload_selector(target: AppTarget, release: Release, track: str) -> dict:
    """The pod selector of a track: an adopted Deployment keeps its own (immutable) one."""
    adopted = release.spec.get("selector") or {}
    if adopted and track == STABLE:
        return dict(adopted)
    return selector_labels(target, track)


def metadata(target: AppTarget, name: str, *, labels: Mapping | None = None,
             annotations: Mapping | None = None) -> dict:  # fmt: skip
    meta = {
        "name": name,
        "namespace": target.namespace,
        "labels": {**k2_labels(target), **(labels or {})},
    }
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def stamp(manifest: dict) -> dict:
    """Add the spec-hash annotation: a digest of everything else in the manifest."""
    meta = manifest["metadata"]
    meta.setdefault("annotations", {}).pop(SPEC_HASH, None)
    meta["annotations"][SPEC_HASH] = digest(manifest)[:32]
    return manifest

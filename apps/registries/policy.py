"""The retention policy and its decisions, pure: no database, no network, so table tests
and the bench exercise exactly what a run does.

Per repository, an artifact (a digest and its tags) is kept when any rule keeps it:
  newest    among the newest `keep_last` artifacts by push time;
  young     pushed less than `keep_days` days ago (or its push time is unknown);
  protected a tag matches a protected pattern (`latest`, `release-*`, `semver`: vX.Y.Z);
  running   a cluster runs or declares its tag or its digest (or a child of its index);
  revision  an app revision within the window names it;
  index     it is a child of a kept multi-arch index (deleting it would break the index).
Everything else is deleted, by the digest decided on here.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apps.registries.backends import Artifact
from apps.registries.choices import Reason

SEMVER = re.compile(r"^v?\d+\.\d+\.\d+$")
DEFAULT_PROTECTED = ["latest", "release-*", "semver"]


@dataclass(frozen=True)
class Policy:
    keep_last: int = 10
    keep_days: int = 7
    protected: tuple[str, ...] = tuple(DEFAULT_PROTECTED)


def policy_for(base: Policy, overrides: dict, repository: str) -> Policy:
    """The global default, then the registry's overrides, then the first repository pattern
    (a glob such as `team/*`) under overrides["repositories"] that matches."""
    merged = {"keep_last": base.keep_last, "keep_days": base.keep_days,
              "protected": list(base.protected)}  # fmt: skip
    layers = [overrides or {}]
    for pattern, values in ((overrides or {}).get("repositories") or {}).items():
        if fnmatch.fnmatchcase(repository, pattern):
            layers.append(values)
            break
    for layer in layers:
        for key in merged:
            if key in layer and layer[key] is not None:
                merged[key] = layer[key]
    return Policy(int(merged["keep_last"]), int(merged["keep_days"]), tuple(merged["protected"]))


def is_protected(tag: str, patterns) -> bool:
    for pattern in patterns:
        if pattern == "semver":
            if SEMVER.match(tag):
                return True
        elif fnmatch.fnmatchcase(tag, pattern):
            return True
    return False


@dataclass
class InUse:
    """What the clusters and app revisions name, per repository (the registry's own names)."""

    tags: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # repo -> tag -> where
    digests: dict[str, set[str]] = field(default_factory=dict)  # digest -> where
    revision_tags: dict[str, set[str]] = field(default_factory=dict)  # repo -> tags
    revision_digests: set[str] = field(default_factory=set)

    def add(self, repository: str, tag: str, digest: str, where: str, *, revision=False) -> None:
        if revision:
            if tag:
                self.revision_tags.setdefault(repository, set()).add(tag)
            if digest:
                self.revision_digests.add(digest)
            return
        if tag:
            self.tags.setdefault(repository, {}).setdefault(tag, set()).add(where)
        if digest:
            self.digests.setdefault(digest, set()).add(where)


@dataclass
class Decision:
    digest: str
    tags: list[str]
    pushed_at: str
    size: int
    keep: list[str]  # reasons (Reason values); empty: delete
    where: list[str] = field(default_factory=list)  # clusters running it

    @property
    def delete(self) -> bool:
        return not self.keep


def decide(repository: str, artifacts: list[Artifact], policy: Policy, in_use: InUse,
           now: datetime) -> list[Decision]:  # fmt: skip
    """One decision per artifact, newest first."""
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    ordered = sorted(artifacts, key=lambda a: (a.pushed_at or now, a.digest), reverse=True)
    young_after = now - timedelta(days=policy.keep_days)
    tags_used = in_use.tags.get(repository, {})
    revision_tags = in_use.revision_tags.get(repository, set())
    out: list[Decision] = []
    for index, a in enumerate(ordered):
        keep: list[str] = []
        if index < policy.keep_last:
            keep.append(Reason.NEWEST.value)
        if a.pushed_at is None or a.pushed_at > young_after:
            keep.append(Reason.YOUNG.value)
        if any(is_protected(t, policy.protected) for t in a.tags):
            keep.append(Reason.PROTECTED.value)
        where: set[str] = set()
        for t in a.tags:
            where |= tags_used.get(t, set())
        for d in (a.digest, *a.children):
            where |= in_use.digests.get(d, set())
        if where:
            keep.append(Reason.RUNNING.value)
        if set(a.tags) & revision_tags or {a.digest, *a.children} & in_use.revision_digests:
            keep.append(Reason.REVISION.value)
        out.append(Decision(a.digest, sorted(a.tags), (a.pushed_at or epoch).isoformat(), a.size,
                            keep, sorted(where)))  # fmt: skip
    kept_children = {c for a, d in zip(ordered, out, strict=True) if d.keep for c in a.children}
    for d in out:
        if d.delete and d.digest in kept_children:
            d.keep.append(Reason.INDEX.value)
    return out

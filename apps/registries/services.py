"""Registry retention and garbage collection: registering a registry, the two steps of a
run (decide, then carry out), the GC, the schedule.

do_register_registry / do_update_registry / do_delete_registry(..., actor)
    Platform admins; the URL passes the outbound check, the password is encrypted, a new
    registry starts in dry-run mode.
do_start_run(registry, *, actor, mode=None) -> Operation
    An operation of kind "registries.run": step 1 decides and stores a dry-run report;
    step 2 (delete mode only) carries out that report's deletions — never more — after
    fresh listing, fresh in-use set and a re-resolve of every tag involved.
do_start_gc(registry, *, actor) -> Operation
    Kind "registries.gc": Harbor starts a GC job and follows it to the end; a plain
    registry's GC runs on its host (`manage.py registry_gc`, which records its output).
do_schedule_due(now=None)
    The beat: a retention run of every enabled registry once per K2_REGISTRY_RUN_INTERVAL,
    a GC of each at its GC hour (the installation's time zone), once a day.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.services import authorize, record
from apps.operations.models import Operation
from apps.operations.services import do_start_operation
from apps.registries import inuse
from apps.registries.backends import RegistryError, backend_for
from apps.registries.choices import Reason, RegistryKind, RunMode, RunState
from apps.registries.metrics import BYTES_RECLAIMED, DELETED, RUNS
from apps.registries.models import Registry, RegistryRun
from apps.registries.outbound import RefusedURL, check_url
from apps.registries.permissions import can_manage_registries
from apps.registries.policy import Policy, decide, policy_for

log = logging.getLogger(__name__)
RUN_KIND, GC_KIND = "registries.run", "registries.gc"
SCHEDULER = Actor.system("workers.registries.schedule_due")
FIELDS = ["name", "kind", "url", "username", "pull_host", "mode", "policy", "enabled", "gc_hour"]
POLICY_KEYS = {"keep_last", "keep_days", "protected", "repositories"}


def base_policy() -> Policy:
    return Policy(settings.K2_REGISTRY_KEEP_LAST, settings.K2_REGISTRY_KEEP_DAYS,
                  tuple(settings.K2_REGISTRY_PROTECTED))  # fmt: skip


def _check_policy(policy: dict) -> None:
    if not isinstance(policy, dict):
        raise ValidationError({"policy": _("The policy must be an object.")})
    layers = [("policy", policy)]
    for pattern, values in (policy.get("repositories") or {}).items():
        if not isinstance(values, dict):
            raise ValidationError(
                {"policy": _("repositories.%(p)s must be an object.") % {"p": pattern}}
            )
        layers.append((f"policy.repositories.{pattern}", values))
    for where, layer in layers:
        unknown = set(layer) - POLICY_KEYS - ({"repositories"} if where == "policy" else set())
        if where != "policy":
            unknown |= set(layer) & {"repositories"}
        if unknown:
            raise ValidationError({"policy": _("%(where)s: unknown keys %(keys)s.")
                                   % {"where": where, "keys": ", ".join(sorted(unknown))}})  # fmt: skip
        for key in ("keep_last", "keep_days"):
            value = layer.get(key)
            if value is not None and (not isinstance(value, int) or value < 0 or value > 10000):
                raise ValidationError({"policy": _("%(where)s.%(key)s must be a whole number "
                                       "from 0 to 10000.") % {"where": where, "key": key}})  # fmt: skip
        protected = layer.get("protected")
        if protected is not None and (not isinstance(protected, list)
                                      or not all(isinstance(p, str) and p for p in protected)):  # fmt: skip
            raise ValidationError({"policy": _("%(where)s.protected must be a list of patterns.")
                                   % {"where": where}})  # fmt: skip


def _validate(registry: Registry) -> None:
    if registry.kind not in RegistryKind.values:
        raise ValidationError({"kind": _("Unknown registry kind.")})
    try:
        check_url(registry.url)
    except RefusedURL as exc:
        raise ValidationError({"url": str(exc)}) from exc
    if not 0 <= registry.gc_hour <= 23:
        raise ValidationError({"gc_hour": _("The GC hour is 0 to 23.")})
    _check_policy(registry.policy)
    registry.full_clean(exclude=["password_encrypted"])


def _can(actor: Actor, action: str, target=None) -> None:
    authorize(actor, action, target, allowed=lambda: can_manage_registries(actor))


def do_register_registry(*, actor: Actor, password: str = "", clusters=(), **fields) -> Registry:
    _can(actor, "registry.create")
    fields.setdefault("mode", RunMode.DRY_RUN)
    registry = Registry(**fields)
    registry.set_password(password)
    _validate(registry)
    with transaction.atomic():
        registry.save()
        registry.clusters.set(clusters)
        record(actor, "registry.create", registry, changes=_public(registry))
    probe(registry)
    return registry


def do_update_registry(registry: Registry, *, actor: Actor, password: str | None = None,
                       clusters=None, **fields) -> Registry:  # fmt: skip
    _can(actor, "registry.update", registry)
    before = _public(registry)
    for key, value in fields.items():
        setattr(registry, key, value)
    if password is not None:
        registry.set_password(password)
    _validate(registry)
    with transaction.atomic():
        registry.save()
        if clusters is not None:
            registry.clusters.set(clusters)
        after = _public(registry)
        changes = {
            k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]
        }
        if password is not None:
            changes["password"] = {"before": "***", "after": "***"}
        record(actor, "registry.update", registry, changes=changes)
    return registry


def do_delete_registry(registry: Registry, *, actor: Actor) -> None:
    _can(actor, "registry.delete", registry)
    with transaction.atomic():
        record(actor, "registry.delete", registry, changes=_public(registry))
        registry.delete()


def _public(registry: Registry) -> dict:
    return {k: getattr(registry, k) for k in FIELDS}


def probe(registry: Registry) -> str:
    """The health line of the registry (in words), stored on the row."""
    try:
        health = _("OK: %(what)s") % {"what": backend_for(registry).probe()}
    except (RegistryError, RefusedURL) as exc:
        health = str(exc)
    Registry.objects.filter(pk=registry.pk).update(health=health[:200], checked_at=timezone.now())
    registry.health = health[:200]
    return health


# --- runs ---------------------------------------------------------------------------------
def do_start_run(registry: Registry, *, actor: Actor, mode: str | None = None) -> Operation:
    _can(actor, "registry.run", registry)
    mode = mode or registry.mode
    if mode not in RunMode.values:
        raise ValidationError({"mode": _("Unknown mode.")})
    return do_start_operation(RUN_KIND, actor=actor, params={"registry": registry.pk, "mode": mode},
                              target_name=registry.name, key=f"registry-run:{registry.pk}")  # fmt: skip


def do_start_gc(registry: Registry, *, actor: Actor) -> Operation:
    _can(actor, "registry.gc", registry)
    return do_start_operation(GC_KIND, actor=actor, params={"registry": registry.pk},
                              target_name=registry.name, key=f"registry-gc:{registry.pk}")  # fmt: skip


def _blocked(registry: Registry, collected: inuse.Collected) -> dict[str, str]:
    pulling = set(registry.clusters.values_list("name", flat=True)) or set(collected.clusters)
    return {name: error for name, error in collected.unreadable.items() if name in pulling}


def _summary(decisions) -> dict:
    counts = {"artifacts": len(decisions), "kept": 0, "delete": 0, "bytes": 0}
    for reason in Reason.values:
        counts[reason] = 0
    for d in decisions:
        if d.delete:
            counts["delete"] += 1
            counts["bytes"] += d.size
        else:
            counts["kept"] += 1
            for reason in d.keep:
                counts[reason] += 1
    return counts


def decide_registry(registry: Registry, *, actor: Actor, operation=None) -> RegistryRun:
    """Step 1: list everything, collect the in-use set, decide; a dry-run report row."""
    run = RegistryRun.objects.create(registry=registry, operation=operation, mode=RunMode.DRY_RUN,
                                     actor_name=actor.name[:150])  # fmt: skip
    started = time.monotonic()
    backend = backend_for(registry)
    collected = inuse.collect()
    in_use = inuse.in_use_for(collected, {registry.host})
    blocked = _blocked(registry, collected)
    now = timezone.now()
    repos: list[dict] = []
    errors: list[str] = []
    total: dict[str, int] = {}
    try:
        names = backend.repositories()
    except (RegistryError, RefusedURL) as exc:
        return _finish(run, RunState.FAILED, error=str(exc))
    for name, artifacts in _list_all(backend, names):
        if isinstance(artifacts, RegistryError):
            errors.append(_("%(repo)s: %(error)s; nothing of it is deleted.")
                          % {"repo": name, "error": artifacts})  # fmt: skip
            continue
        policy = policy_for(base_policy(), registry.policy, name)
        decisions = decide(name, artifacts, policy, in_use, now)
        counts = _summary(decisions)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        repos.append({"repository": name, "policy": {"keep_last": policy.keep_last,
                      "keep_days": policy.keep_days, "protected": list(policy.protected)},
                      "counts": counts, "decisions": [d.__dict__ for d in decisions]})  # fmt: skip
    total["repositories"] = len(repos)
    report = {"repositories": repos, "errors": errors, "api_calls": backend.api_calls,
              "clusters": collected.clusters, "unreadable": collected.unreadable,
              "blocked": blocked, "seconds": round(time.monotonic() - started, 3)}  # fmt: skip
    if blocked:
        errors.append(_("Clusters %(names)s could not be read; nothing is deleted on this registry "
                        "until they can.") % {"names": ", ".join(sorted(blocked))})  # fmt: skip
    run.report, run.counts = report, total
    return _finish(run, RunState.BLOCKED if blocked else RunState.SUCCEEDED)


def _list_all(backend, names: list[str]):
    """(name, artifacts or the RegistryError) per repository, in order; listed
    K2_REGISTRY_LIST_CONCURRENCY at a time (the distribution API costs two calls per tag)."""

    def one(name: str):
        try:
            return name, backend.artifacts(name)
        except RegistryError as exc:
            return name, exc

    with ThreadPoolExecutor(max(1, settings.K2_REGISTRY_LIST_CONCURRENCY)) as pool:
        yield from pool.map(one, names)


def _finish(run: RegistryRun, state: str, *, error: str = "") -> RegistryRun:
    run.state, run.error, run.finished_at = state, error, timezone.now()
    run.save()
    RUNS.labels(run.registry.name, run.what, run.mode, state).inc()
    return run


def carry_out(preview: RegistryRun, *, actor: Actor, operation=None) -> RegistryRun:
    """Step 2: delete what `preview` decided — by the digest decided on — when a fresh
    decision still agrees; never anything the preview did not list."""
    registry = preview.registry
    run = RegistryRun.objects.create(registry=registry, operation=operation, mode=RunMode.DELETE,
                                     preview=preview, actor_name=actor.name[:150])  # fmt: skip
    if preview.state != RunState.SUCCEEDED:
        return _finish(run, RunState.BLOCKED, error=_("The preview did not succeed (%(state)s): "
                       "nothing is deleted.") % {"state": preview.get_state_display()})  # fmt: skip
    backend = backend_for(registry)
    collected = inuse.collect()
    blocked = _blocked(registry, collected)
    if blocked:
        return _finish(run, RunState.BLOCKED, error=_("Clusters %(names)s could not be read; "
                       "nothing is deleted.") % {"names": ", ".join(sorted(blocked))})  # fmt: skip
    in_use = inuse.in_use_for(collected, {registry.host})
    now = timezone.now()
    deleted, kept_now, gone, errors = [], [], [], []
    for repo in preview.report.get("repositories", []):
        planned = {d["digest"]: d for d in repo["decisions"] if not d["keep"]}
        if not planned:
            continue
        name = repo["repository"]
        try:
            artifacts = backend.artifacts(name)
        except RegistryError as exc:
            errors.append(
                _("%(repo)s: %(error)s; nothing of it is deleted.") % {"repo": name, "error": exc}
            )
            continue
        fresh = {d.digest: d for d in decide(name, artifacts, policy_for(base_policy(), registry.policy, name),
                                              in_use, now)}  # fmt: skip
        for digest, plan in planned.items():
            now_decided = fresh.get(digest)
            if now_decided is None:
                gone.append({"repository": name, "digest": digest, "tags": plan["tags"]})
                continue
            if not now_decided.delete:
                kept_now.append({"repository": name, "digest": digest, "tags": plan["tags"],
                                 "keep": now_decided.keep})  # fmt: skip
                continue
            moved = _moved_tags(backend, name, digest, plan["tags"])
            try:
                removed = backend.delete(name, digest)
            except RegistryError as exc:
                errors.append(_("%(repo)s@%(digest)s: %(error)s") % {"repo": name, "digest": digest,
                                                                      "error": exc})  # fmt: skip
                continue
            entry = {"repository": name, "digest": digest, "tags": plan["tags"], "size": plan["size"],
                     "moved": moved}  # fmt: skip
            if not removed:
                gone.append(entry)
                continue
            deleted.append(entry)
            DELETED.labels(registry.name).inc()
            record(actor, "registry.artifact.delete", ("registry.artifact", f"{name}@{digest}",
                   f"{registry.name}/{name}@{digest[:19]}"), reason=_("older than the policy keeps"),
                   changes={"registry": registry.name, "repository": name, "digest": digest,
                            "tags": plan["tags"], "pushed_at": plan["pushed_at"]})  # fmt: skip
    run.report = {"deleted": deleted, "kept_now": kept_now, "already_gone": gone, "errors": errors,
                  "api_calls": backend.api_calls}  # fmt: skip
    run.counts = {"deleted": len(deleted), "kept_now": len(kept_now), "already_gone": len(gone),
                  "errors": len(errors), "bytes": sum(d["size"] for d in deleted)}  # fmt: skip
    return _finish(run, RunState.SUCCEEDED if not errors else RunState.FAILED,
                   error="\n".join(errors))  # fmt: skip


def _moved_tags(backend, repository: str, digest: str, tags: list[str]) -> list[str]:
    """Tags that point elsewhere now (the delete by digest leaves their new image alone)."""
    moved = []
    for tag in tags:
        now = backend.resolve(repository, tag)
        if now and now != digest:
            moved.append(tag)
    return moved


# --- garbage collection ---------------------------------------------------------------------
def gc_registry(registry: Registry, *, actor: Actor, operation=None) -> RegistryRun:
    run = RegistryRun.objects.create(registry=registry, operation=operation, what=RegistryRun.GC,
                                     mode=RunMode.DELETE, actor_name=actor.name[:150])  # fmt: skip
    Registry.objects.filter(pk=registry.pk).update(last_gc_at=timezone.now())
    backend = backend_for(registry)
    try:
        job = backend.start_gc()
    except RegistryError as exc:
        return _finish(run, RunState.FAILED, error=str(exc))
    if job is None:
        run.report = {"note": _("This registry collects garbage on its host: run `docker-registry "
                                "garbage-collect <config>` there through `manage.py registry_gc`, "
                                "which records its output and the bytes reclaimed.")}  # fmt: skip
        return _finish(run, RunState.SUCCEEDED)
    deadline = time.monotonic() + settings.K2_REGISTRY_GC_TIMEOUT_SECONDS
    state, freed = "running", None
    while time.monotonic() < deadline:
        try:
            state, freed = backend.gc_status(job)
        except RegistryError as exc:
            return _finish(run, RunState.FAILED, error=str(exc))
        if state != "running":
            break
        time.sleep(settings.K2_REGISTRY_GC_POLL_SECONDS)
    run.report = {"job": job, "job_state": state}
    run.bytes_reclaimed = freed
    if freed:
        BYTES_RECLAIMED.labels(registry.name).inc(freed)
    if state == "running":
        return _finish(run, RunState.FAILED, error=_("Harbor's GC job %(job)s did not finish in "
                       "%(s)s seconds; it goes on in Harbor.") % {"job": job,
                       "s": settings.K2_REGISTRY_GC_TIMEOUT_SECONDS})  # fmt: skip
    if state == "failed":
        return _finish(
            run, RunState.FAILED, error=_("Harbor's GC job %(job)s failed.") % {"job": job}
        )
    return _finish(run, RunState.SUCCEEDED)


def record_host_gc(registry: Registry, *, actor: Actor, output: str, returncode: int,
                   bytes_before: int | None, bytes_after: int | None) -> RegistryRun:  # fmt: skip
    """The report of `registry garbage-collect` run on the registry's host."""
    run = RegistryRun.objects.create(registry=registry, what=RegistryRun.GC, mode=RunMode.DELETE,
                                     actor_name=actor.name[:150])  # fmt: skip
    Registry.objects.filter(pk=registry.pk).update(last_gc_at=timezone.now())
    run.report = {"output": output[-20000:], "returncode": returncode,
                  "bytes_before": bytes_before, "bytes_after": bytes_after}  # fmt: skip
    if bytes_before is not None and bytes_after is not None:
        run.bytes_reclaimed = max(0, bytes_before - bytes_after)
        BYTES_RECLAIMED.labels(registry.name).inc(run.bytes_reclaimed)
    record(actor, "registry.gc", registry, changes={"returncode": returncode,
           "bytes_reclaimed": run.bytes_reclaimed})  # fmt: skip
    if returncode:
        return _finish(
            run,
            RunState.FAILED,
            error=_("garbage-collect exited with %(rc)s.") % {"rc": returncode},
        )
    return _finish(run, RunState.SUCCEEDED)


# --- schedule -------------------------------------------------------------------------------
def do_schedule_due(now=None) -> dict:
    now = now or timezone.now()
    started = {"runs": 0, "gc": 0}
    interval = timedelta(seconds=settings.K2_REGISTRY_RUN_INTERVAL_SECONDS)
    local = timezone.localtime(now)
    for registry in Registry.objects.filter(enabled=True):
        if registry.last_scheduled_at is None or registry.last_scheduled_at <= now - interval:
            Registry.objects.filter(pk=registry.pk).update(last_scheduled_at=now)
            do_start_run(registry, actor=SCHEDULER)
            started["runs"] += 1
        gc_local = timezone.localtime(registry.last_gc_at) if registry.last_gc_at else None
        if local.hour == registry.gc_hour and (gc_local is None or gc_local.date() != local.date()):
            Registry.objects.filter(pk=registry.pk).update(last_gc_at=now)
            do_start_gc(registry, actor=SCHEDULER)
            started["gc"] += 1
    return started

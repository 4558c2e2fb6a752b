"""Restore a backup as a new K2 space: one operation (kind `backups.restore`) with progress
and a report.

    do_restore_backup(backup, *, actor, slug="", cluster="") -> Operation

Into the old name when it is free (or any new name), on the old cluster or another one of
a suitable environment: the space is created through the spaces service (placement,
quota and, for production, the approval engine, as for any new space), then its members,
its apps (as K2 apps, from their revisions) and the objects people made by hand come back;
the reconciler takes over from there. K2-managed objects (the space's RoleBindings,
quota, the apps' workloads) are not copied: the reconciler renders them from the records.

Steps (each safe to run again after a killed worker):
1. Read and check the archive (re-read from the store, sha256, parse).
2. Create the space (the operation row points at it from the same transaction, so a rerun
   finds it instead of creating a second one).
3. Wait until it is provisioned (production: until approved and provisioned).
4. Members, 5. apps, 6. hand-made objects: each one created, or skipped with the reason
   (already there, its user is gone, made by its controller), or failed with the reason.
The report is the operation's result: {"created": [...], "skipped": [...], "failed": [...]}.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.actors import Actor
from apps.audit.services import authorize, record
from apps.backups import cluster_ops
from apps.backups.choices import BackupState
from apps.backups.manifest_rules import group_of
from apps.backups.models import Backup
from apps.backups.permissions import can_restore_backup
from apps.backups.verify import load
from apps.clusters.gateway import GatewayError
from apps.clusters.models import Cluster
from apps.operations.models import Operation
from apps.operations.registry import Step, register
from apps.operations.services import do_start_operation
from apps.reconciler.kinds import MANAGED_BY, MANAGER
from apps.spaces.choices import LIVE_STATES, SpaceState
from apps.spaces.models import Membership, Space
from apps.spaces.services import do_add_member, do_create_space
from apps.spaces.validation import clean_slug
from apps.workloads.models import App
from apps.workloads.services import do_create_app
from k2cloud.celery import TransientError

RESTORE_KIND = "backups.restore"
RESTORABLE_STATES = (BackupState.VERIFIED,)


def _actor(operation) -> Actor:
    return Actor(operation.actor_type, operation.actor_user_id, operation.actor_name,
                 operation.actor_detail)  # fmt: skip


# --- the service ----------------------------------------------------------------------------
def suggested_slug(backup: Backup) -> str:
    """The old name when no live space holds it, else the first free `<old>-restored[-n]`."""
    base = backup.space_slug
    candidates = (
        [base] + [f"{base[:50]}-restored"] + [f"{base[:47]}-restored-{n}" for n in range(2, 10)]
    )
    taken = set(Space.objects.filter(slug__in=candidates, state__in=LIVE_STATES)
                .values_list("slug", flat=True))  # fmt: skip
    return next((c for c in candidates if c not in taken), base)


def do_restore_backup(backup: Backup, *, actor: Actor, slug: str = "",
                      cluster: str = "") -> Operation:  # fmt: skip
    """Start restoring `backup` into space `slug` (default: its old name) on `cluster`
    (default: its old primary cluster). The space's former owners and platform admins;
    the name must be free and the cluster suitable (checked again when the space is
    created)."""
    authorize(
        actor, "backup.restore", backup, allowed=lambda: can_restore_backup(actor, backup),
        message=_("Only the space's former owners and platform admins restore its backups."),
        space=backup.space,
    )  # fmt: skip
    if backup.state not in RESTORABLE_STATES:
        raise ValidationError({"backup": [
            _("Backup #%(id)s is %(state)s: only a verified backup can be restored.")
            % {"id": backup.pk, "state": backup.state_enum.label}]})  # fmt: skip
    slug = clean_slug(slug or backup.space_slug)
    if Space.objects.filter(slug=slug, state__in=LIVE_STATES).exists():
        raise ValidationError({"slug": [
            _("A space named %(slug)s exists: restore into another name.") % {"slug": slug}]})  # fmt: skip
    cluster_name = cluster or (backup.cluster_names or [""])[0]
    target = Cluster.objects.filter(name=cluster_name, enabled=True).first()
    if target is None:
        raise ValidationError({"cluster": [
            _("No enabled cluster is named %(name)s.") % {"name": cluster_name}]})  # fmt: skip
    with transaction.atomic():
        operation = do_start_operation(
            RESTORE_KIND, actor=actor, cluster=target, target_name=slug,
            key=f"{RESTORE_KIND}:{slug}",
            params={"backup_id": backup.pk, "slug": slug, "cluster": target.name},
        )  # fmt: skip
        record(actor, "backup.restore", backup, space=backup.space, cluster=target,
               reason=_("Into %(slug)s on %(cluster)s.") % {"slug": slug, "cluster": target.name})  # fmt: skip
    return operation


# --- steps ----------------------------------------------------------------------------------
def _backup(operation) -> Backup:
    return Backup.objects.get(pk=operation.params["backup_id"])


_read: dict[tuple[int, str], object] = {}  # this process's last archive read: (id, sha256)


def _archive(operation):
    """The backup's archive, read and checked once per process for all of a run's steps
    (a resumed run on another worker reads it again)."""
    backup = _backup(operation)
    key = (backup.pk, backup.checksum)
    if key not in _read:
        _read.clear()
        _read[key] = load(backup)
    return _read[key]


def _report(operation, **lists) -> dict:
    """Merge these report entries into the operation's result (kept across steps)."""
    result = dict(operation.result or {})
    for key, entries in lists.items():
        result[key] = list(result.get(key, [])) + entries
    return result


def _check(operation) -> dict:
    _read.clear()  # the first step always reads the store again
    archive = _archive(operation)
    return {"objects": sum(len(objs) for objs in archive.objects.values()),
            "apps": len(archive.apps)}  # fmt: skip


def _restored_space(operation) -> Space | None:
    operation.refresh_from_db(fields=["space"])
    space = operation.space
    if space is not None and space.state in LIVE_STATES:
        return space
    return None


def _create_space(operation) -> dict:
    if _restored_space(operation) is not None:
        return {}
    archive = _archive(operation)
    record_ = archive.space
    quota = {"cpu": record_["quota_cpu"], "memory": record_["quota_memory"],
             "pods": record_["quota_pods"], "storage": record_["quota_storage"]}  # fmt: skip
    cluster = Cluster.objects.get(name=operation.params["cluster"])
    with transaction.atomic():
        created = do_create_space(
            actor=_actor(operation), slug=operation.params["slug"],
            environment=cluster.environment, cluster=cluster.name, quota=quota,
            display_name=record_.get("display_name", ""),
            description=record_.get("description", ""),
            reason=record_.get("reason") or _("Restored from backup #%(id)s.")
            % {"id": operation.params["backup_id"]},
        )  # fmt: skip
        Operation.objects.filter(pk=operation.pk).update(space=created.space)
    operation.space = created.space
    return {"space_id": created.space.pk}


def _wait_provisioned(operation) -> dict:
    space = _restored_space(operation)
    if space is None:
        raise ValidationError(_("The restored space is gone."))
    if space.state in (SpaceState.ACTIVE, SpaceState.EXPIRING):
        return {}
    if space.state in (SpaceState.PENDING_APPROVAL, SpaceState.PROVISIONING):
        raise TransientError(
            _("Space %(slug)s is %(state)s; the restore continues once it is active.")
            % {"slug": space.slug, "state": space.state_enum.label}
        )
    raise ValidationError(
        _("Space %(slug)s is %(state)s: nothing more can be restored into it.")
        % {"slug": space.slug, "state": space.state_enum.label}
    )


def _members(operation) -> dict:
    space = _restored_space(operation)
    archive = _archive(operation)
    users = get_user_model()
    created, skipped, failed = [], [], []
    for member in archive.space.get("members", []):
        what = f"member {member['user']} ({member['role']})"
        user = users.objects.filter(username=member["user"], is_active=True).first()
        if user is None:
            skipped.append({"object": what, "reason": _("the user no longer exists")})
            continue
        if Membership.objects.filter(space=space, user=user).exists():
            skipped.append({"object": what, "reason": _("already a member")})
            continue
        try:
            do_add_member(space, user, member["role"], actor=_actor(operation))
        except (ValidationError, PermissionDenied) as exc:
            failed.append({"object": what, "reason": _message(exc)})
            continue
        created.append({"object": what})
    return _report(operation, created=created, skipped=skipped, failed=failed)


def _apps(operation) -> dict:
    space = _restored_space(operation)
    archive = _archive(operation)
    created, skipped, failed = [], [], []
    for app in archive.apps:
        what = f"app {app['name']}"
        if App.objects.filter(space=space, name=app["name"]).exists():
            skipped.append({"object": what, "reason": _("already there")})
            continue
        revision = app.get("revision") or {}
        try:
            do_create_app(
                space, name=app["name"], spec=revision.get("spec") or {},
                replicas=app.get("replicas") or 1, description=app.get("description", ""),
                message=_("Restored from backup #%(id)s.") % {"id": operation.params["backup_id"]},
                actor=_actor(operation),
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            failed.append({"object": what, "reason": _message(exc)})
            continue
        created.append({"object": what})
    return _report(operation, created=created, skipped=skipped, failed=failed)


def _skip_reason(obj: dict) -> str:
    metadata = obj.get("metadata") or {}
    if (metadata.get("labels") or {}).get(MANAGED_BY) == MANAGER:
        return _("managed by K2Cloud: the reconciler renders it")
    if any(ref.get("controller") for ref in metadata.get("ownerReferences") or []):
        return _("made by its controller, which comes back")
    return ""


def _objects(operation) -> dict:
    space = _restored_space(operation)
    archive = _archive(operation)
    cluster = Cluster.objects.get(name=operation.params["cluster"])
    created, skipped, failed = [], [], []
    try:
        served = {(k.group, k.kind): k for k in cluster_ops.discover_kinds(cluster)}
    except GatewayError as exc:
        raise TransientError(str(exc)) from exc
    for source in sorted(archive.objects):
        for obj in archive.objects[source]:
            what = f"{obj['kind']} {obj['metadata']['name']}"
            reason = _skip_reason(obj)
            if reason:
                skipped.append({"object": what, "reason": reason})
                continue
            kind = served.get((group_of(obj["apiVersion"]), obj["kind"]))
            if kind is None:
                failed.append({"object": what, "reason": _("the cluster does not serve this kind")})
                continue
            try:
                made = cluster_ops.create_object(cluster, kind, space.namespace, obj)
            except GatewayError as exc:
                failed.append({"object": what, "reason": str(exc)})
                continue
            if made:
                created.append({"object": what})
            else:
                skipped.append({"object": what, "reason": _("already there")})
    return _report(operation, created=created, skipped=skipped, failed=failed)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


@register(RESTORE_KIND, label=gettext_lazy("Restore a backup"))
def restore_steps(operation) -> list[Step]:
    return [
        Step(gettext_lazy("Read and check the archive"), _check),
        Step(gettext_lazy("Create the space"), _create_space),
        Step(gettext_lazy("Wait until the space is provisioned"), _wait_provisioned),
        Step(gettext_lazy("Restore the members"), _members),
        Step(gettext_lazy("Restore the apps"), _apps),
        Step(gettext_lazy("Restore the objects made by hand"), _objects),
    ]

"""Verification of a stored backup: could it be restored, right now, from what is stored?

    problem = check_archive(backup)   # "" when verified, else the reason in words

1. Re-read the archive from the store (the bytes written, not what is in memory), and
   compare its sha256 with the row's checksum: a damaged or replaced blob fails here.
2. Parse it with `archive.read`: gzip/tar integrity, a known index, every member JSON,
   Secrets decryptable with the installation's keys.
3. Ask every cluster to accept every object in a server-side apply dry run
   (`dryRun=All`, field manager `k2cloud-backup-verify`, force) into the live namespace.

Why a server-side apply into the live namespace rather than a create into a scratch
namespace: the objects still exist there (verification runs before anything is
destroyed), so a dry-run create would only say "already exists"; an apply with dryRun=All
runs the whole write path — decoding, schema and field validation, defaulting, immutable
field checks and admission (quota, policy) — against the real namespace and writes
nothing, and needs neither a namespace of our own nor its cleanup (which a full
namespace's quota, network policy and admission would make differ from the real one).
Objects of a kind the cluster no longer serves fail verification too.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils.translation import gettext as _

from apps.backups import archive, cluster_ops
from apps.backups.archive import Archive, ArchiveError
from apps.backups.manifest_rules import group_of
from apps.backups.metrics import VERIFY_SECONDS
from apps.backups.models import Backup
from apps.backups.store import StoreError, store_for
from apps.clusters.gateway import GatewayError
from apps.clusters.models import Cluster

MAX_REFUSALS_SHOWN = 5


def store_of(backup: Backup):
    """The store the backup was written to (it may differ from today's setting)."""
    return store_for(backup.store_url or settings.K2_BACKUP_STORE_URL,
                     s3_endpoint_url=settings.K2_BACKUP_S3_ENDPOINT_URL)  # fmt: skip


def load(backup: Backup) -> Archive:
    """The backup's archive, re-read from the store and checked against the row's sha256.
    Raises StoreError (missing, unreachable, checksum) or ArchiveError (damaged)."""
    data = store_of(backup).get(backup.location, sha256=backup.checksum)
    return archive.read(data)


def dry_run_cluster(cluster: Cluster, namespace: str, objects: list[dict]) -> list[str]:
    """The refusals (in words, one per object) of a dry-run apply of `objects`."""
    try:
        served = {(k.group, k.kind): k for k in cluster_ops.discover_kinds(cluster)}
    except GatewayError as exc:
        return [_("Cluster %(cluster)s could not be asked: %(error)s")
                % {"cluster": cluster.name, "error": exc}]  # fmt: skip
    refusals = []
    for obj in objects:
        what = f"{obj['kind']} {obj['metadata']['name']}"
        kind = served.get((group_of(obj["apiVersion"]), obj["kind"]))
        if kind is None:
            refusals.append(_("Cluster %(cluster)s does not serve %(api)s %(kind)s (%(what)s).")
                            % {"cluster": cluster.name, "api": obj["apiVersion"],
                               "kind": obj["kind"], "what": what})  # fmt: skip
            continue
        try:
            cluster_ops.dry_run_apply(cluster, kind, namespace, obj)
        except GatewayError as exc:
            refusals.append(_("Cluster %(cluster)s refused %(what)s: %(error)s")
                            % {"cluster": cluster.name, "what": what, "error": exc})  # fmt: skip
    return refusals


def check_archive(backup: Backup) -> str:
    """Verify a stored backup (see the module docstring); "" when it passes, otherwise what
    failed, in words (the first refusals, and how many there were)."""
    started = time.monotonic()
    try:
        try:
            read = load(backup)
        except (StoreError, ArchiveError) as exc:
            return str(exc)
        namespace = read.index.get("namespace") or backup.space_slug
        refusals: list[str] = []
        for name, objects in sorted(read.objects.items()):
            cluster = Cluster.objects.filter(name=name).first()
            if cluster is None:
                refusals.append(
                    _("Cluster %(cluster)s is no longer registered.") % {"cluster": name}
                )
                continue
            refusals.extend(dry_run_cluster(cluster, namespace, objects))
        if not refusals:
            return ""
        shown = " ".join(refusals[:MAX_REFUSALS_SHOWN])
        if len(refusals) > MAX_REFUSALS_SHOWN:
            shown += " " + _("(%(n)s refusals in all.)") % {"n": len(refusals)}
        return _("The cluster refused the dry run: %(refusals)s") % {"refusals": shown}
    finally:
        VERIFY_SECONDS.observe(time.monotonic() - started)

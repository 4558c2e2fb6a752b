"""The backup archive: a gzip'd tar with an index, the K2Cloud records and every manifest.

    data = write(space_slug=..., namespace=..., records={"space": {...}, "apps": [...]},
                 clusters={"test-a": [obj, ...]}, created_at=now)      # -> bytes
    archive = read(data)                                              # -> Archive
    archive.index, archive.space, archive.apps, archive.objects["test-a"]

Layout (format version 1):

    index.json                  {"format": "k2cloud-backup", "version": 1, "space", "namespace",
                                 "clusters": [...], "counts": {cluster: {kind: n}},
                                 "records": ["apps", "space"], "created_at"}
    records/space.json          the space row: fields, members with roles, quota,
                                environment, placements (cluster names)
    records/apps.json           every app: kind, replicas, current (and canary) revision
                                spec, placements with weights
    clusters/<cluster>/<apiVersion, "/" → "_">/<Kind>/<name>.json   one cleaned object each

Secrets: the `data` and `stringData` of every Secret are replaced by one `encryptedData`
field, a Fernet token made with the installation's keys (apps/core/crypto.py), so the
archive never holds a secret in clear; `read` decrypts it back (keys rotated away make the
archive unreadable, said in words). Output is deterministic for the same input (sorted
members, fixed mtimes, owners and modes, no gzip timestamp), except for the Fernet tokens,
which are random by design; the sha256 of the bytes written is what the Backup row keeps.

`read` validates everything a restore relies on: gzip and tar integrity, the index present
and of a known format, every member a regular file that parses as JSON, manifests with
apiVersion, kind and metadata.name, and member counts that match the index. Any failure
is an `ArchiveError` whose message names the member.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from apps.backups.collect import kind_label
from apps.core import crypto

FORMAT = "k2cloud-backup"
VERSION = 1
INDEX = "index.json"
SPACE_RECORD = "records/space.json"
APPS_RECORD = "records/apps.json"
ENCRYPTED_FIELD = "encryptedData"
SECRET_FIELDS = ("data", "stringData")
MAX_MEMBER_BYTES = 8 * 1024 * 1024  # far above the apiserver's 1.5 MB object limit


class ArchiveError(Exception):
    """The archive cannot be read; the message names the member and says why."""


@dataclass
class Archive:
    """A read (and decrypted) archive."""

    index: dict
    space: dict
    apps: list[dict]
    objects: dict[str, list[dict]] = field(default_factory=dict)  # cluster -> manifests

    def counts(self) -> dict[str, dict[str, int]]:
        return {c: counts_of(objs) for c, objs in self.objects.items()}


def counts_of(objects: list[dict]) -> dict[str, int]:
    return dict(sorted(Counter(kind_label(o) for o in objects).items()))


def member_name(cluster: str, obj: dict) -> str:
    api_version = obj["apiVersion"].replace("/", "_")
    return f"clusters/{cluster}/{api_version}/{obj['kind']}/{obj['metadata']['name']}.json"


def _dumps(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1).encode()


def _is_secret(obj: dict) -> bool:
    return obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def _seal(obj: dict) -> dict:
    secret = {k: obj[k] for k in SECRET_FIELDS if k in obj}
    out = {k: v for k, v in obj.items() if k not in SECRET_FIELDS}
    out[ENCRYPTED_FIELD] = crypto.encrypt(json.dumps(secret, sort_keys=True))
    return out


def _unseal(obj: dict, member: str) -> dict:
    token = obj.pop(ENCRYPTED_FIELD, None)
    if token is None:
        raise ArchiveError(_("%(member)s is a Secret without its encrypted data.")
                           % {"member": member})  # fmt: skip
    try:
        obj.update(json.loads(crypto.decrypt(token)))
    except (crypto.DecryptionError, ValueError) as exc:
        raise ArchiveError(
            _("The Secret in %(member)s cannot be decrypted with this installation's "
              "K2_ENCRYPTION_KEYS (was the key it was made with removed?).") % {"member": member}
        ) from exc  # fmt: skip
    return obj


def write(*, space_slug: str, namespace: str, records: dict, clusters: dict[str, list[dict]],
          created_at: datetime) -> bytes:  # fmt: skip
    """The archive of one space as gzip'd tar bytes (see the module docstring for the layout).

    `records` holds "space" (a dict) and "apps" (a list of dicts); `clusters` maps each
    cluster name to its cleaned manifests (apps/backups/collect.py)."""
    members: dict[str, bytes] = {
        INDEX: _dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "space": space_slug,
                "namespace": namespace,
                "clusters": sorted(clusters),
                "created_at": created_at.isoformat(),
                "counts": {c: counts_of(objs) for c, objs in sorted(clusters.items())},
                "records": sorted(records),
            }
        ),  # fmt: skip
        SPACE_RECORD: _dumps(records.get("space") or {}),
        APPS_RECORD: _dumps(records.get("apps") or []),
    }
    for cluster, objects in clusters.items():
        for obj in objects:
            members[member_name(cluster, obj)] = _dumps(_seal(obj) if _is_secret(obj) else obj)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            data = members[name]
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(_("The archive is not valid gzip data (damaged or cut short): "
                             "%(error)s") % {"error": exc}) from exc  # fmt: skip
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for info in tar:
                if not info.isfile():
                    raise ArchiveError(_("%(member)s in the archive is not a regular file.")
                                       % {"member": info.name})  # fmt: skip
                if info.size > MAX_MEMBER_BYTES:
                    raise ArchiveError(_("%(member)s in the archive is too large.")
                                       % {"member": info.name})  # fmt: skip
                handle = tar.extractfile(info)
                out[info.name] = handle.read() if handle else b""
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(_("The archive is not a valid tar file: %(error)s")
                           % {"error": exc}) from exc  # fmt: skip
    return out


def _json(members: dict[str, bytes], name: str):
    if name not in members:
        raise ArchiveError(_("The archive has no %(member)s.") % {"member": name})
    try:
        return json.loads(members[name])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveError(_("%(member)s in the archive is not valid JSON: %(error)s")
                           % {"member": name, "error": exc}) from exc  # fmt: skip


def _object(members: dict[str, bytes], name: str, cluster: str) -> dict:
    obj = _json(members, name)
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not (isinstance(meta, dict) and obj.get("apiVersion") and obj.get("kind")
            and meta.get("name")):  # fmt: skip
        raise ArchiveError(_("%(member)s in the archive is not a Kubernetes object "
                             "(apiVersion, kind and metadata.name).") % {"member": name})  # fmt: skip
    if member_name(cluster, obj) != name:
        raise ArchiveError(_("%(member)s in the archive holds another object (%(kind)s %(name)s).")
                           % {"member": name, "kind": obj["kind"], "name": meta["name"]})  # fmt: skip
    return _unseal(obj, name) if _is_secret(obj) else obj


def read(data: bytes) -> Archive:
    """Parse, validate and decrypt an archive written by `write`; ArchiveError otherwise."""
    members = _members(data)
    index = _json(members, INDEX)
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ArchiveError(_("%(member)s does not describe a K2Cloud backup.") % {"member": INDEX})
    if index.get("version") != VERSION:
        raise ArchiveError(
            _("%(member)s has format version %(version)s; this K2Cloud reads version "
              "%(known)s.") % {"member": INDEX, "version": index.get("version"), "known": VERSION}
        )  # fmt: skip
    space, apps = _json(members, SPACE_RECORD), _json(members, APPS_RECORD)
    if not isinstance(space, dict) or not isinstance(apps, list):
        raise ArchiveError(_("The records of the archive have the wrong shape."))
    clusters = list(index.get("clusters") or [])
    objects: dict[str, list[dict]] = {c: [] for c in clusters}
    for name in sorted(members):
        if name in (INDEX, SPACE_RECORD, APPS_RECORD):
            continue
        parts = name.split("/")
        if len(parts) != 5 or parts[0] != "clusters" or parts[1] not in objects:
            raise ArchiveError(_("%(member)s in the archive is not listed in its index.")
                               % {"member": name})  # fmt: skip
        objects[parts[1]].append(_object(members, name, parts[1]))
    archive = Archive(index=index, space=space, apps=apps, objects=objects)
    if archive.counts() != {c: dict(index.get("counts", {}).get(c) or {}) for c in clusters}:
        raise ArchiveError(_("The objects in the archive do not match the counts of %(member)s "
                             "(members are missing or were added).") % {"member": INDEX})  # fmt: skip
    return archive

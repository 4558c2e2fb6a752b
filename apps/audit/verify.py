"""Walking the hash chain: from the archive cut (or genesis) through every kept event."""

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.audit.hashing import GENESIS_HASH, event_hash, hashed_fields
from apps.audit.models import AuditArchive, AuditEvent


@dataclass(frozen=True)
class Break:
    """The first broken link: which event (or archive) and why."""

    event_id: int | None
    problem: str
    archive_id: int | None = None

    def __str__(self) -> str:
        if self.archive_id is not None:
            return _("archive %(id)s: %(problem)s") % {
                "id": self.archive_id,
                "problem": self.problem,
            }
        return _("event %(id)s: %(problem)s") % {"id": self.event_id, "problem": self.problem}


@dataclass(frozen=True)
class Report:
    checked: int
    archives: int
    broken: Break | None
    # Committed events the sealer has not linked yet (normally none a moment after commit;
    # beat seals leftovers every minute). They are reported, not counted as a break.
    unsealed: int = 0

    @property
    def ok(self) -> bool:
        return self.broken is None


def event_from_line(line: dict) -> AuditEvent:
    """An unsaved event rebuilt from an archive line (written by apps/audit/retention.py),
    to recompute its hash."""
    version = line.get("hash_version", 1)  # archives written before version 2 lack it
    fields = {name: line[name] for name in hashed_fields(version)}
    fields["created_at"] = parse_datetime(line["created_at"])
    return AuditEvent(id=line["id"], hash=line["hash"], hash_version=version, **fields)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_archives(check_files: bool) -> tuple[str, int, Break | None]:
    """Link the archives to each other; return the hash the first kept event must follow."""
    expected = GENESIS_HASH
    archives = list(AuditArchive.objects.order_by("first_event_id"))
    for archive in archives:
        if archive.first_prev_hash != expected:
            return expected, len(archives), Break(None, _("prev link mismatch"), archive.pk)
        if check_files:
            path = Path(archive.path)
            if not path.exists():
                return expected, len(archives), Break(None, _("archive file missing"), archive.pk)
            if file_sha256(path) != archive.sha256:
                return expected, len(archives), Break(None, _("file hash mismatch"), archive.pk)
            if _archive_lines_broken(path, archive):
                return expected, len(archives), Break(None, _("archived chain broken"), archive.pk)
        expected = archive.last_event_hash
    return expected, len(archives), None


def _archive_lines_broken(path: Path, archive: AuditArchive) -> bool:
    expected = archive.first_prev_hash
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            event = event_from_line(json.loads(line))
            if event.prev_hash != expected or event_hash(event) != event.hash:
                return True
            expected = event.hash
    return expected != archive.last_event_hash


def verify_chain(*, check_files: bool = False) -> Report:
    """Recompute every sealed event's hash and link, in chain order; stop at the first
    break. Unsealed events are counted."""
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    expected, archive_count, broken = _check_archives(check_files)
    if broken:
        return Report(0, archive_count, broken, unsealed)
    checked = 0
    sealed = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in sealed.iterator(chunk_size=2000):
        checked += 1
        if event_hash(event) != event.hash:
            broken = Break(event.pk, _("content hash mismatch"))
            return Report(checked, archive_count, broken, unsealed)
        if event.prev_hash != expected:
            return Report(
                checked, archive_count, Break(event.pk, _("prev link mismatch")), unsealed
            )
        expected = event.hash
    return Report(checked, archive_count, None, unsealed)

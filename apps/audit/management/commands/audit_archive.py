"""`manage.py audit_archive [--older-than-days N]`: export old events to a file, then remove them."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.actors import Actor
from apps.audit.retention import archive_old_events, retention_days


class Command(BaseCommand):
    help = (
        "Archive audit events older than N days (default K2_AUDIT_RETENTION_DAYS) and delete them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None)

    def handle(self, *args, older_than_days=None, **options):
        days = retention_days() if older_than_days is None else older_than_days
        if days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        archive = archive_old_events(
            older_than_days=days, actor=Actor.cli("manage.py audit_archive")
        )
        if archive is None:
            self.stdout.write(f"no audit events older than {days} days")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"archived {archive.event_count} events (#{archive.first_event_id}–"
                f"#{archive.last_event_id}) to {archive.path} sha256={archive.sha256}"
            )
        )

"""`manage.py audit_verify [--check-files]`: walk the hash chain; exit 1 at the first break."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (across archives); name the first broken link."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check-files",
            action="store_true",
            help="Also re-hash every archive file and walk the events inside it.",
        )

    def handle(self, *args, check_files=False, **options):
        report = verify_chain(check_files=check_files)
        if not report.ok:
            raise CommandError(f"audit chain broken at {report.broken}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {report.checked} events, {report.archives} archives"
            )
        )
        if report.unsealed:
            self.stdout.write(
                self.style.WARNING(
                    f"{report.unsealed} committed events are not sealed into the chain yet "
                    "(the sealer runs on commit and every minute from beat)"
                )
            )

"""`manage.py setup_cluster_schedules`: create or repoint the periodic cluster probe."""

from django.core.management.base import BaseCommand

from apps.clusters.schedules import PROBE_TASK_NAME, ensure_probe_schedule


class Command(BaseCommand):
    help = "Create or update the periodic cluster probe (other schedules are left alone)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-interval", action="store_true",
            help="Also reset the interval to K2_CLUSTER_PROBE_INTERVAL (default: keep an edited one).",
        )  # fmt: skip

    def handle(self, *args, reset_interval, **options):
        ensure_probe_schedule(reset_interval=reset_interval)
        self.stdout.write(self.style.SUCCESS(f"schedule ready: {PROBE_TASK_NAME}"))

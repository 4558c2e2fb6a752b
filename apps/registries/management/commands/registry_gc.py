"""Run a plain registry's garbage collection on its host and record the report:

    manage.py registry_gc <registry> --storage /var/lib/docker-registry -- \\
        docker-registry garbage-collect /etc/docker/registry/config.yml

The command's output, exit code and the storage directory's size before and after (the
bytes reclaimed) become a GC run of the registry (docs/registries.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit.actors import Actor
from apps.registries.models import Registry
from apps.registries.services import record_host_gc


def disk_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


class Command(BaseCommand):
    help = "Run `registry garbage-collect` on this host and record its output as a GC run."

    def add_arguments(self, parser):
        parser.add_argument("registry")
        parser.add_argument(
            "--storage", help="the registry's storage root, to measure bytes reclaimed"
        )
        parser.add_argument("gc_command", nargs="+")

    def handle(self, *args, registry, storage, gc_command, **options):
        row = Registry.objects.filter(name=registry).first()
        if row is None:
            raise CommandError(f"No registry named {registry}.")
        root = Path(storage) if storage else None
        before = disk_bytes(root) if root else None
        done = subprocess.run(gc_command, capture_output=True, text=True, check=False)
        after = disk_bytes(root) if root else None
        run = record_host_gc(row, actor=Actor.system("manage.registry_gc"), output=done.stdout + done.stderr,
                             returncode=done.returncode, bytes_before=before, bytes_after=after)  # fmt: skip
        self.stdout.write(f"GC run #{run.pk}: {run.state}, {run.bytes_reclaimed} bytes reclaimed")

"""Watch the managed objects of clusters and repair drift within seconds.

    manage.py reconcile_watch                 # every enabled cluster
    manage.py reconcile_watch --cluster prod  # one (repeatable): one process per cluster

Runs until interrupted (SIGINT/SIGTERM). In production run it as its own process (one
per cluster, or one for all), next to the Celery workers.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from apps.clusters.models import Cluster
from apps.reconciler.watch import Watcher


class Command(BaseCommand):
    help = _("Watch K2-managed objects in clusters and repair out-of-band changes.")

    def add_arguments(self, parser):
        parser.add_argument("--cluster", action="append", default=[], help=_("cluster name"))

    def handle(self, *args, cluster: list[str], **options):
        clusters = Cluster.objects.select_related("policy").filter(enabled=True)
        if cluster:
            clusters = clusters.filter(name__in=cluster)
            missing = set(cluster) - {c.name for c in clusters}
            if missing:
                raise CommandError(_("No enabled cluster named %(names)s.")
                                   % {"names": ", ".join(sorted(missing))})  # fmt: skip
        clusters = list(clusters)
        if not clusters:
            raise CommandError(_("No enabled clusters to watch."))
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        watcher = Watcher(clusters).start()
        self.stdout.write(_("Watching %(names)s.") % {"names": ", ".join(c.name for c in clusters)})
        done.wait()
        watcher.stop()

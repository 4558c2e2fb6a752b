"""Follow every cluster's Kubernetes events into the event center and raise alerts.

    manage.py events_watch                 # every enabled cluster
    manage.py events_watch --cluster prod  # one (repeatable)

Runs until interrupted (SIGINT/SIGTERM). In production run it as its own process (two
replicas are fine: a Redis lease per cluster lets one follow it at a time).
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from apps.clusters.models import Cluster
from apps.events.watcher import EventWatcher


class Command(BaseCommand):
    help = _("Follow Kubernetes events of clusters into the event center.")

    def add_arguments(self, parser):
        parser.add_argument("--cluster", action="append", default=[], help=_("cluster name"))

    def handle(self, *args, cluster: list[str], **options):
        clusters = Cluster.objects.filter(enabled=True)
        if cluster:
            clusters = clusters.filter(name__in=cluster)
            missing = set(cluster) - {c.name for c in clusters}
            if missing:
                raise CommandError(_("No enabled cluster named %(names)s.")
                                   % {"names": ", ".join(sorted(missing))})  # fmt: skip
        clusters = list(clusters)
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        watcher = EventWatcher(clusters).start()
        self.stdout.write(_("Following events of %(names)s.")
                          % {"names": ", ".join(c.name for c in clusters) or "-"})  # fmt: skip
        while not done.wait(30):
            if not cluster:  # clusters registered since start are followed too
                fresh = list(Cluster.objects.filter(enabled=True))
                for added in watcher.follow_new(fresh):
                    self.stdout.write(
                        _("Following events of %(names)s.") % {"names": added.cluster.name}
                    )
        watcher.stop()

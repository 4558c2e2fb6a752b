"""`manage.py devstack`: the processes of `make run`, started together and stopped together.

Starts the embedded Redis (when REDIS_URL is unset), k2sim with three emulated clusters
(test, prod, ml; registered in K2Cloud on every start), two Celery workers (one for every
queue, one for the interactive queue alone; k2cloud/queues.py), Celery beat, the
reconciler's watcher (drift repair) and daphne on 127.0.0.1:8000; with DEBUG, the demo
spaces are made through the services once the workers are up (apps/spaces/demo.py). Ctrl-C (SIGINT) or SIGTERM stops every child and waits for it;
if any child dies, the rest are stopped too, so nothing is left running.
"""

import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.spaces.demo import seed_demo_spaces
from k2cloud import queues
from k2cloud.embedded_redis import EmbeddedRedis


class Command(BaseCommand):
    help = "Run Redis (embedded), Celery workers, Celery beat and daphne until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--clusters", default="test:test,prod:prod,ml:ml",
            help="k2sim clusters to start and register, as name:environment pairs",
        )  # fmt: skip
        parser.add_argument("--no-k2sim", action="store_true", help="use only registered clusters")
        parser.add_argument("--k2sim-port-base", type=int, default=16443, help="0 = any free ports")

    def handle(self, *args, bind, port, clusters, no_k2sim, k2sim_port_base, **options):
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False
        redis = None
        env = dict(os.environ)
        if not os.environ.get("REDIS_URL"):
            redis = EmbeddedRedis(settings.EMBEDDED_REDIS_DIR).start()
            env["REDIS_URL"] = redis.url
            self.stdout.write(f"redis    embedded at {redis.url}")
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        python = sys.executable
        try:
            if not no_k2sim:
                self._start_k2sim(clusters, env, k2sim_port_base)
            celery = [python, "-m", "celery", "-A", "k2cloud", "worker", "--loglevel=INFO"]
            # Every queue, interactive first; and one process for interactive work alone, so
            # a person's change never waits behind a full pass or a follow-up look.
            self._spawn("worker", [*celery, "--concurrency=2", "-Q", queues.WORKER_QUEUES,
                                   "-n", "general@%h"], env)  # fmt: skip
            self._spawn("worker-i", [*celery, "--pool=solo", "-Q", queues.INTERACTIVE,
                                     "-n", "interactive@%h"], env)  # fmt: skip
            self._spawn("beat", [python, "-m", "celery", "-A", "k2cloud", "beat", "--loglevel=INFO",
                                 "--schedule", str(settings.VAR_DIR / "celerybeat-schedule")], env)  # fmt: skip
            manage = str(settings.BASE_DIR / "manage.py")
            self._spawn("watch", [python, manage, "reconcile_watch"], env)  # drift repair
            self._spawn("events", [python, manage, "events_watch"], env)  # the event center
            self._spawn("web", [python, "-m", "daphne", "-b", bind, "-p", str(port),
                                "k2cloud.asgi:application"], env)  # fmt: skip
            self.stdout.write(
                self.style.SUCCESS(
                    f"K2Cloud is up: http://{bind}:{port}/  (Ctrl-C stops everything)"
                )
            )
            if settings.DEBUG and not no_k2sim:
                threading.Thread(target=seed_demo_spaces, name="demo", daemon=True).start()
            self._wait()
        finally:
            self._stop_all()
            if redis:
                redis.stop()
            self.stdout.write("all processes stopped")

    def _spawn(self, name: str, cmd: list[str], env: dict, **popen) -> subprocess.Popen:
        # Own process group: the terminal's Ctrl-C reaches us alone, and we stop children in order.
        proc = subprocess.Popen(cmd, env=env, start_new_session=True, **popen)
        self.children.append((name, proc))
        self.stdout.write(f"{name:<8} pid {proc.pid}: {' '.join(cmd[1:4])} …")
        return proc

    def _start_k2sim(self, clusters: str, env: dict, port_base: int) -> None:
        """Start k2sim, wait for its ready line, then register (or refresh) each cluster."""
        pairs = [item.split(":") for item in clusters.split(",") if item]
        state_dir = settings.VAR_DIR / "k2sim"
        # k2sim runs from the source tree: a development tool, not part of the package.
        proc = self._spawn(
            "k2sim",
            [sys.executable, "-m", "k2sim", "serve", "--clusters", ",".join(n for n, _ in pairs),
             "--state-dir", str(state_dir), "--port-base", str(port_base)],
            env, stdout=subprocess.PIPE, text=True, cwd=settings.BASE_DIR,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            line = proc.stdout.readline()
            if line:
                self.stdout.write(f"k2sim    {line.rstrip()}")
            if line.startswith("k2sim ready"):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise CommandError("k2sim did not become ready; see its output above")
        # Keep forwarding its output so a full pipe never blocks it.
        threading.Thread(target=self._forward, args=("k2sim", proc.stdout), daemon=True).start()
        for name, environment in pairs:
            call_command(
                "register_cluster", kubeconfig=str(state_dir / "kubeconfig"), context=name,
                name=name, env=environment, embed_files=True, update_existing=True,
            )  # fmt: skip

    def _forward(self, name: str, stream) -> None:
        for line in stream:
            self.stdout.write(f"{name:<8} {line.rstrip()}")

    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    def _wait(self) -> None:
        while not self.stopping:
            for name, proc in self.children:
                if proc.poll() is not None:
                    self.stderr.write(
                        f"{name} exited with code {proc.returncode}; stopping the rest"
                    )
                    self.stopping = True
                    break
            time.sleep(0.3)

    def _stop_all(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

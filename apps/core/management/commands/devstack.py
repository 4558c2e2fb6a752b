"""`manage.py devstack`: the processes of `make run`, started together and stopped together.

Starts the embedded Redis (when REDIS_URL is unset), a Celery worker, Celery beat and
daphne on 127.0.0.1:8000. Ctrl-C (SIGINT) or SIGTERM stops every child and waits for it;
if any child dies, the rest are stopped too, so nothing is left running.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from k2cloud.embedded_redis import EmbeddedRedis


class Command(BaseCommand):
    help = "Run Redis (embedded), a Celery worker, Celery beat and daphne until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, bind, port, **options):
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
            self._spawn("worker", [python, "-m", "celery", "-A", "k2cloud", "worker",
                                   "--concurrency=2", "--loglevel=INFO"], env)  # fmt: skip
            self._spawn("beat", [python, "-m", "celery", "-A", "k2cloud", "beat", "--loglevel=INFO",
                                 "--schedule", str(settings.VAR_DIR / "celerybeat-schedule")], env)  # fmt: skip
            self._spawn("web", [python, "-m", "daphne", "-b", bind, "-p", str(port),
                                "k2cloud.asgi:application"], env)  # fmt: skip
            self.stdout.write(
                self.style.SUCCESS(
                    f"K2Cloud is up: http://{bind}:{port}/  (Ctrl-C stops everything)"
                )
            )
            self._wait()
        finally:
            self._stop_all()
            if redis:
                redis.stop()
            self.stdout.write("all processes stopped")

    def _spawn(self, name: str, cmd: list[str], env: dict) -> None:
        # Own process group: the terminal's Ctrl-C reaches us alone, and we stop children in order.
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        self.children.append((name, proc))
        self.stdout.write(f"{name:<8} pid {proc.pid}: {' '.join(cmd[1:4])} …")

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

"""Run a command against a throwaway PostgreSQL and an embedded Redis, then remove both.

    python tools/test_stack.py -- pytest -q
    python tools/test_stack.py --sqlite -- pytest -q -m smoke   (SQLite instead of PostgreSQL)

PostgreSQL comes from the machine's `postgresql` package (Debian: /usr/lib/postgresql/N/bin).
It refuses to run as root, so under root the server runs as the `postgres` system user
that the package creates. The data directory lives in a temporary folder that is removed
afterwards, whatever the command's outcome; the command's exit code is passed through.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k2cloud.embedded_redis import EmbeddedRedis  # noqa: E402


def _pg_bindir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    sys.exit("PostgreSQL binaries not found: install the `postgresql` package (make test does).")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    def __init__(self) -> None:
        self.bindir = _pg_bindir()
        self.tmp = Path(tempfile.mkdtemp(prefix="k2-pg-"))
        self.data = self.tmp / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=self.tmp)

    def start(self) -> str:
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.tmp, user.pw_uid, user.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "k2", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.tmp} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.tmp / "pg.log"),
            "-w",
            "start",
        )
        self._run("createdb", "-h", str(self.tmp), "-p", str(self.port), "-U", "k2", "k2")
        return f"postgres://k2@127.0.0.1:{self.port}/k2"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv: list[str]) -> int:
    use_sqlite = "--sqlite" in argv[: argv.index("--")] if "--" in argv else False
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        sys.exit(__doc__)
    postgres = None if use_sqlite else ThrowawayPostgres()
    redis_dir = Path(tempfile.mkdtemp(prefix="k2-redis-"))
    redis = EmbeddedRedis(redis_dir)
    try:
        database = (
            f"sqlite:///{redis_dir / 'smoke.sqlite3'}" if postgres is None else postgres.start()
        )
        env = dict(os.environ, DATABASE_URL=database, REDIS_URL=redis.start().url)
        print(f"test stack: database {database}, Redis at {redis.url}", flush=True)
        child = subprocess.Popen(argv, env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
    finally:
        redis.stop()
        shutil.rmtree(redis_dir, ignore_errors=True)
        if postgres:
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

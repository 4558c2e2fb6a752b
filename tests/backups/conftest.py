"""Fixtures of the backup tests: a local S3-compatible server (moto's server mode) for the
session, and the apps tests' clusters, spaces and `run` (their k2sim clusters are shared;
each test's space has its own namespace)."""

from __future__ import annotations

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.helpers import free_port
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    _fast_password_hashing,
    clusters,
    dev,
    make_space,
    run,
    sim,
    space,
    viewer,
)

BUCKET = "k2-backups"


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible HTTP server on a free loopback port, with one bucket."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    mp = pytest.MonkeyPatch()
    for name, value in (("AWS_ACCESS_KEY_ID", "k2test"), ("AWS_SECRET_ACCESS_KEY", "k2test"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
        mp.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()
    mp.undo()

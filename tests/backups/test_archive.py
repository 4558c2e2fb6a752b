"""The archive round-trips, keeps Secrets encrypted, is deterministic, and refuses damage
with a message naming the member."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from datetime import UTC, datetime

import pytest

from apps.backups import archive
from apps.backups.archive import ArchiveError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"k": "v"}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque",
          "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "shop-admin"}}  # fmt: skip
CRON = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
        "spec": {"schedule": "@hourly"}}  # fmt: skip


def write(**overrides) -> bytes:
    kwargs = {"space_slug": "shop", "namespace": "shop", "created_at": NOW,
              "records": {"space": {"slug": "shop"}, "apps": [{"name": "web"}]},
              "clusters": {"test-a": [CM, SECRET, CRON]}}  # fmt: skip
    return archive.write(**{**kwargs, **overrides})


def tar_members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def rebuild(members: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def test_round_trip_with_index_records_and_decrypted_secrets():
    data = write()
    members = tar_members(data)
    assert sorted(members) == [
        "clusters/test-a/batch_v1/CronJob/nightly.json", "clusters/test-a/v1/ConfigMap/app.json",
        "clusters/test-a/v1/Secret/db.json", "index.json", "records/apps.json",
        "records/space.json"]  # fmt: skip
    assert b"aHVudGVyMg==" not in gzip.decompress(data) and b"shop-admin" not in gzip.decompress(
        data
    )
    read = archive.read(data)
    assert read.index["counts"] == {"test-a": {"ConfigMap": 1, "Secret": 1, "batch/CronJob": 1}}
    assert read.index["format"] == "k2cloud-backup" and read.index["version"] == 1
    assert read.space == {"slug": "shop"} and read.apps == [{"name": "web"}]
    by_name = {o["metadata"]["name"]: o for o in read.objects["test-a"]}
    assert by_name["db"] == SECRET and by_name["app"] == CM and by_name["nightly"] == CRON


def test_output_is_deterministic_without_secrets():
    clusters = {"test-a": [CRON, CM]}
    assert write(clusters=clusters) == write(clusters={"test-a": [CM, CRON]})


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: d[: len(d) // 2], "not valid gzip data"),
        (lambda d: gzip.compress(b"not a tar at all" * 40), "not a valid tar file"),
        (lambda d: rebuild({k: v for k, v in tar_members(d).items() if k != "index.json"}),
         "has no index.json"),
        (lambda d: rebuild({**tar_members(d), "index.json": json.dumps(
            {**json.loads(tar_members(d)["index.json"]), "version": 99}).encode()}),
         "index.json has format version 99"),
        (lambda d: rebuild({**tar_members(d), "clusters/test-a/v1/ConfigMap/app.json": b"{oops"}),
         "clusters/test-a/v1/ConfigMap/app.json in the archive is not valid JSON"),
        (lambda d: rebuild({k: v for k, v in tar_members(d).items() if "CronJob" not in k}),
         "do not match the counts of index.json"),
        (lambda d: rebuild({**tar_members(d), "clusters/test-a/v1/Secret/db.json": json.dumps(
            {**SECRET, "data": None, "encryptedData": "gAAAA-not-a-token"}).encode()}),
         "Secret in clusters/test-a/v1/Secret/db.json cannot be decrypted"),
    ],
)  # fmt: skip
def test_damage_is_an_archive_error_naming_the_member(damage, message):
    with pytest.raises(ArchiveError, match=message):
        archive.read(damage(write()))

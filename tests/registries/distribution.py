"""A real Distribution 2.8 registry for the tests (Debian's `docker-registry`), started on
a free loopback port with its own storage directory and deletes enabled, and a small
client of the distribution API that pushes images the tests build (config, layers, an
OCI manifest or index: what `oras`/`skopeo` would upload, without a docker daemon)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import urllib3

from tests.helpers import free_port

BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
http = urllib3.PoolManager(timeout=urllib3.Timeout(total=30))


@dataclass
class RunningRegistry:
    url: str
    root: Path
    config: Path
    process: subprocess.Popen

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def garbage_collect(self) -> subprocess.CompletedProcess:
        return subprocess.run([BINARY, "garbage-collect", str(self.config)], capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip


def start(directory: Path) -> RunningRegistry:
    port = free_port()
    root = directory / "storage"
    root.mkdir(parents=True, exist_ok=True)
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    log = open(directory / "registry.log", "w")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen([BINARY, "serve", str(config)], stdout=log, stderr=log,
                               env={**os.environ, "OTEL_TRACES_EXPORTER": "none"})  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if http.request("GET", url + "/v2/").status == 200:
                return RunningRegistry(url, root, config, process)
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"docker-registry did not start: {(directory / 'registry.log').read_text()}")


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(url: str, repo: str, data: bytes) -> str:
    digest = _digest(data)
    if http.request("HEAD", f"{url}/v2/{repo}/blobs/{digest}").status == 200:
        return digest
    started = http.request("POST", f"{url}/v2/{repo}/blobs/uploads/")
    assert started.status == 202, started.data
    location = started.headers["Location"]
    location = location if location.startswith("http") else url + location
    sep = "&" if "?" in location else "?"
    done = http.request("PUT", f"{location}{sep}digest={digest}", body=data,
                        headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert done.status == 201, done.data
    return digest


def push_image(url: str, repo: str, tag: str, *, created: str, layer_bytes: int = 4096,
               seed: str = "") -> str:  # fmt: skip
    """Push a one-layer image (random-looking bytes, unique per repo/tag/seed); its digest."""
    layer = b""
    block = hashlib.sha256(f"{repo}:{tag}:{seed}".encode()).digest()
    while len(layer) < layer_bytes:
        block = hashlib.sha256(block).digest()
        layer += block * 64
    layer = layer[:layer_bytes]
    layer_digest = put_blob(url, repo, layer)
    config = json.dumps({"created": created, "architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()  # fmt: skip
    config_digest = put_blob(url, repo, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest,
                    "size": len(layer)}],
    }).encode()  # fmt: skip
    return put_manifest(url, repo, tag, manifest, OCI_MANIFEST)


def put_manifest(url: str, repo: str, reference: str, body: bytes, media_type: str) -> str:
    response = http.request("PUT", f"{url}/v2/{repo}/manifests/{reference}", body=body,
                            headers={"Content-Type": media_type})  # fmt: skip
    assert response.status == 201, response.data
    return response.headers["Docker-Content-Digest"]


def push_index(url: str, repo: str, tag: str, children: list[str]) -> str:
    """A multi-arch index over manifests already in `repo`."""
    manifests = []
    for arch, digest in zip(("amd64", "arm64", "s390x"), children, strict=False):
        size = len(http.request("GET", f"{url}/v2/{repo}/manifests/{digest}",
                                headers={"Accept": OCI_MANIFEST}).data)  # fmt: skip
        manifests.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                          "platform": {"architecture": arch, "os": "linux"}})  # fmt: skip
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).encode()
    return put_manifest(url, repo, tag, body, OCI_INDEX)


def pull(url: str, repo: str, reference: str) -> int:
    """Pull an image like a client: its manifest and every blob, each checked against its
    digest; the bytes read."""
    response = http.request("GET", f"{url}/v2/{repo}/manifests/{reference}",
                            headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"})  # fmt: skip
    assert response.status == 200, (repo, reference, response.status)
    manifest = json.loads(response.data)
    total = 0
    for blob in [manifest["config"], *manifest["layers"]]:
        data = http.request("GET", f"{url}/v2/{repo}/blobs/{blob['digest']}").data
        assert _digest(data) == blob["digest"]
        total += len(data)
    return total


def tags(url: str, repo: str) -> list[str]:
    return json.loads(http.request("GET", f"{url}/v2/{repo}/tags/list").data).get("tags") or []

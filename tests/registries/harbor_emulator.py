"""A Harbor API v2.0 emulator for the tests (no Harbor server runs here): the subset
K2Cloud uses — ping, health, projects, repositories, artifacts with tags and push times
(paged), artifact GET/DELETE, GC schedule/history/log — served over HTTP with basic auth,
every request and response checked against the swagger contract (a request outside it
gets 400 and is kept in `violations`). Artifacts live in a real Distribution registry:
a delete removes the manifest there, and a GC runs that registry's `garbage-collect`,
measures its disk, and logs "The GC job actual frees up N MB space." as Harbor does."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import urllib3

from tests.helpers import free_port
from tests.registries import harbor_contract as contract
from tests.registries.distribution import OCI_INDEX, OCI_MANIFEST, RunningRegistry

ACCEPT = f"{OCI_INDEX}, {OCI_MANIFEST}"
http = urllib3.PoolManager(timeout=urllib3.Timeout(total=30))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Emulator:
    def __init__(self, backing: RunningRegistry, *, user="admin", password="Harbor12345") -> None:
        self.backing = backing
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.gc_jobs: list[dict] = []
        self.gc_logs: dict[int, str] = {}
        self.delay = 0.0  # seconds each request waits (a registry that times out)
        port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()

    # --- the registry behind ----------------------------------------------------------------
    def _reg(self, method, path, **kw):
        return http.request(method, self.backing.url + path, **kw)

    def _catalog(self) -> list[str]:
        return json.loads(self._reg("GET", "/v2/_catalog?n=1000").data).get("repositories") or []

    def _artifacts(self, repo: str, with_tag: bool) -> list[dict]:
        tags = json.loads(self._reg("GET", f"/v2/{repo}/tags/list").data).get("tags") or []
        out: dict[str, dict] = {}
        for tag in tags:
            r = self._reg("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT})
            if r.status != 200:
                continue
            digest = r.headers["Docker-Content-Digest"]
            if digest in out:
                out[digest]["tags"].append(self._tag(tag, out[digest]))
                continue
            out[digest] = self._artifact(
                repo, digest, json.loads(r.data), r.headers["Content-Type"]
            )
            out[digest]["tags"] = [self._tag(tag, out[digest])]
        items = sorted(out.values(), key=lambda a: a["push_time"], reverse=True)
        if not with_tag:
            for a in items:
                a.pop("tags")
        return items

    def _artifact(self, repo: str, digest: str, manifest: dict, media_type: str) -> dict:
        children = [m["digest"] for m in manifest.get("manifests") or []]
        image = manifest
        if children:
            image = json.loads(self._reg("GET", f"/v2/{repo}/manifests/{children[0]}",
                                         headers={"Accept": OCI_MANIFEST}).data)  # fmt: skip
        config = json.loads(self._reg("GET", f"/v2/{repo}/blobs/{image['config']['digest']}").data)
        project, _sep, name = repo.partition("/")
        return {
            "id": int(digest[7:15], 16), "type": "IMAGE", "media_type": media_type,
            "manifest_media_type": media_type, "project_id": 1, "repository_id": 1,
            "repository_name": repo, "digest": digest,
            "size": sum(x["size"] for x in image.get("layers") or []),
            "push_time": config["created"], "pull_time": "0001-01-01T00:00:00.000Z",
            "references": [{"parent_id": 1, "child_id": 2, "child_digest": c} for c in children],
        }  # fmt: skip

    @staticmethod
    def _tag(name: str, artifact: dict) -> dict:
        return {"id": 1, "repository_id": 1, "artifact_id": artifact["id"], "name": name,
                "push_time": artifact["push_time"], "pull_time": "0001-01-01T00:00:00.000Z",
                "immutable": False}  # fmt: skip

    def _gc(self, job: dict) -> None:
        before = self.backing.disk_bytes()
        done = self.backing.garbage_collect()
        freed = max(0, before - self.backing.disk_bytes())
        self.gc_logs[job["id"]] = (done.stdout + done.stderr
                                   + f"\nThe GC job actual frees up {freed // (1024 * 1024)} MB space.\n"
                                   + f"freed {freed} bytes\n")  # fmt: skip
        job["job_status"] = "Success" if done.returncode == 0 else "Error"
        job["update_time"] = _now()

    # --- HTTP -----------------------------------------------------------------------------
    def _handler(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=None, headers=None, template=None, op=None, method="GET"):
                if op is not None:
                    try:
                        contract.check_response(method, template, op, status, body)
                    except contract.ContractError as exc:
                        emulator.violations.append(f"response: {exc}")
                plain = isinstance(body, str)
                data = (
                    body.encode()
                    if plain
                    else json.dumps(body).encode()
                    if body is not None
                    else b""
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if plain else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method):
                time.sleep(emulator.delay)
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                emulator.requests.append((method, parts.path))
                try:
                    template, op = contract.check_request(method, parts.path, query, body)
                except contract.ContractError as exc:
                    emulator.violations.append(f"request: {exc}")
                    return self._send(
                        400, {"errors": [{"code": "BAD_REQUEST", "message": str(exc)}]}
                    )
                ctx = {"template": template, "op": op, "method": method}
                if (
                    template not in ("/ping", "/health")
                    and self.headers.get("Authorization") != emulator.auth
                ):
                    return self._send(
                        401,
                        {"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]},
                        **ctx,
                    )
                status, out, headers = emulator.route(method, template, parts.path, query)
                return self._send(status, out, headers, **ctx)

            def do_GET(self):
                self._handle("GET")

            def do_DELETE(self):
                self._handle("DELETE")

            def do_POST(self):
                self._handle("POST")

        return Handler

    def route(self, method: str, template: str, path: str, query: dict):
        segments = [unquote(unquote(s)) for s in path.split("/")]
        page, size = int(query.get("page", 1)), int(query.get("page_size", 10))

        def paged(items):
            return 200, items[(page - 1) * size : page * size], {"X-Total-Count": str(len(items))}

        if template == "/ping":
            return 200, "Pong", {}
        if template == "/health":
            return 200, {"status": "healthy", "components": []}, {}
        if template == "/projects":
            names = sorted({r.split("/", 1)[0] for r in self._catalog()})
            return paged(
                [{"project_id": i + 1, "name": n, "repo_count": 0} for i, n in enumerate(names)]
            )
        if template == "/projects/{project_name}/repositories":
            project = segments[4]
            repos = [r for r in self._catalog() if r.startswith(project + "/")]
            return paged([{"id": i + 1, "project_id": 1, "name": r, "artifact_count": 0}
                          for i, r in enumerate(sorted(repos))])  # fmt: skip
        if template.startswith("/projects/{project_name}/repositories/{repository_name}/artifacts"):
            repo = f"{segments[4]}/{segments[6]}"
            if template.endswith("/artifacts"):
                return paged(self._artifacts(repo, query.get("with_tag", "true") == "true"))
            reference = segments[8]
            if method == "GET":
                for a in self._artifacts(repo, True):
                    if a["digest"] == reference or reference in [t["name"] for t in a["tags"]]:
                        return 200, a, {}
                return 404, {"errors": [{"code": "NOT_FOUND", "message": "artifact not found"}]}, {}
            status = self._reg("DELETE", f"/v2/{repo}/manifests/{reference}").status
            if status == 202:
                return 200, None, {}
            return 404, {"errors": [{"code": "NOT_FOUND", "message": "artifact not found"}]}, {}
        if template == "/system/gc/schedule":
            if any(j["job_status"] == "Running" for j in self.gc_jobs):
                return 409, {"errors": [{"code": "CONFLICT", "message": "a GC is running"}]}, {}
            job = {"id": len(self.gc_jobs) + 1, "job_name": "GARBAGE_COLLECTION", "job_kind": "MANUAL",
                   "job_parameters": json.dumps({"delete_untagged": True}), "schedule": {"type": "Manual"},
                   "job_status": "Running", "deleted": False, "creation_time": _now(),
                   "update_time": _now()}  # fmt: skip
            self.gc_jobs.append(job)
            threading.Thread(target=self._gc, args=(job,), daemon=True).start()
            return 201, None, {"Location": f"/api/v2.0/system/gc/{job['id']}"}
        if template == "/system/gc":
            return paged(list(reversed(self.gc_jobs)))
        if template == "/system/gc/{gc_id}":
            job_id = int(segments[-1])
            for job in self.gc_jobs:
                if job["id"] == job_id:
                    return 200, job, {}
            return 404, {"errors": [{"code": "NOT_FOUND", "message": "no such job"}]}, {}
        if template == "/system/gc/{gc_id}/log":
            return 200, self.gc_logs.get(int(segments[-2]), ""), {}
        return 404, {"errors": [{"code": "NOT_FOUND", "message": "not emulated"}]}, {}

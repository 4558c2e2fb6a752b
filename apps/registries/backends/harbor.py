"""Harbor through its REST API v2.0 (contracts/harbor/swagger.yaml): projects,
repositories, artifacts with tags and push times (paged), DELETE of an artifact by digest,
and garbage collection: POST /system/gc/schedule with type Manual, then GET
/system/gc/{id} until its job_status is final."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from django.utils.dateparse import parse_datetime

from apps.registries.backends import Artifact, RegistryError, register
from apps.registries.backends.http import HttpBackend

PAGE = 100  # Harbor's largest page_size
FREED = re.compile(r"frees up (\d+) MB")
FINAL = {"Success": "succeeded", "Error": "failed", "Stopped": "failed"}


def _repo_path(repository: str) -> str:
    project, _sep, name = repository.partition("/")
    # Harbor wants the repository name inside the project double-escaped ("a/b" -> a%252Fb).
    return (
        f"/api/v2.0/projects/{quote(project)}/repositories/{quote(quote(name, safe=''), safe='')}"
    )


@register("harbor")
class Harbor(HttpBackend):
    def probe(self) -> str:
        self.http.request("GET", "/api/v2.0/ping")
        health = self.http.json("GET", "/api/v2.0/health")
        self.http.json(
            "GET", "/api/v2.0/projects", fields={"page": 1, "page_size": 1}
        )  # the credentials
        return f"Harbor ({health.get('status', '?')})"

    def _pages(self, path: str, **query) -> list[dict]:
        out: list[dict] = []
        page = 1
        while True:
            fields = {**query, "page": page, "page_size": PAGE}
            items = self.http.json("GET", path, fields=fields) or []
            out.extend(items)
            if len(items) < PAGE:
                return out
            page += 1

    def repositories(self) -> list[str]:
        names: list[str] = []
        for project in self._pages("/api/v2.0/projects"):
            path = f"/api/v2.0/projects/{quote(project['name'])}/repositories"
            names.extend(r["name"] for r in self._pages(path))
        return sorted(names)

    def artifacts(self, repository: str) -> list[Artifact]:
        items = self._pages(_repo_path(repository) + "/artifacts", with_tag="true")
        return [Artifact(
            repository, a["digest"], [t["name"] for t in a.get("tags") or []],
            parse_datetime(a.get("push_time") or ""), int(a.get("size") or 0),
            [r["child_digest"] for r in a.get("references") or [] if r.get("child_digest")],
        ) for a in items]  # fmt: skip

    def resolve(self, repository: str, tag: str) -> str | None:
        response = self.http.request("GET", f"{_repo_path(repository)}/artifacts/{quote(tag)}",
                                     ok=(200, 404))  # fmt: skip
        if response.status == 404:
            return None
        return json.loads(response.data)["digest"]

    def delete(self, repository: str, digest: str) -> bool:
        response = self.http.request("DELETE", f"{_repo_path(repository)}/artifacts/{digest}",
                                     ok=(200, 404))  # fmt: skip
        return response.status == 200

    def start_gc(self) -> str | None:
        body = {"schedule": {"type": "Manual"}, "parameters": {"delete_untagged": True}}
        response = self.http.request("POST", "/api/v2.0/system/gc/schedule", body=body,
                                     ok=(201, 409))  # fmt: skip
        if response.status == 409:
            raise RegistryError("Harbor is already running a garbage collection")
        location = response.headers.get("Location", "")
        if location:
            return location.rstrip("/").rsplit("/", 1)[-1]
        history = self.http.json("GET", "/api/v2.0/system/gc", fields={"page": 1, "page_size": 1})
        return str(history[0]["id"]) if history else None

    def gc_status(self, job: str) -> tuple[str, int | None]:
        """(running | succeeded | failed, bytes freed when Harbor says)."""
        history = self.http.json("GET", f"/api/v2.0/system/gc/{job}")
        state = FINAL.get(history.get("job_status") or "", "running")
        freed = None
        if state == "succeeded":  # Harbor says what it freed in the job's log, in MB
            log = self.http.request("GET", f"/api/v2.0/system/gc/{job}/log").data.decode(
                errors="replace"
            )
            match = FREED.search(log)
            freed = int(match.group(1)) * 1024 * 1024 if match else None
        return state, freed

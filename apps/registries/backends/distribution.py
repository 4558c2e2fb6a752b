"""Any OCI / Docker Distribution registry through the distribution API: the catalog and
tag lists (paged by the Link header), manifests by tag with every manifest media type in
Accept (so the digest is the one clusters pull), the image config for the push time, and
DELETE by digest. Garbage collection is the registry's own `registry garbage-collect` on
its host (docs/registries.md): start_gc says so and returns no job."""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import quote

from django.utils.dateparse import parse_datetime

from apps.registries.backends import Artifact, RegistryError, register
from apps.registries.backends.http import HttpBackend

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")  # fmt: skip
ACCEPT = ", ".join((*INDEX_TYPES, "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json"))  # fmt: skip
PAGE = 1000
_LINK = re.compile(r"<([^>]+)>")


def _next(response) -> str:
    match = _LINK.search(response.headers.get("Link", ""))
    return match.group(1) if match else ""


@register("distribution")
class Distribution(HttpBackend):
    def probe(self) -> str:
        self.http.request("GET", "/v2/")
        return "Distribution API v2"

    def _paged(self, path: str, key: str) -> list[str]:
        out: list[str] = []
        while path:
            response = self.http.request("GET", path)
            out.extend(json.loads(response.data).get(key) or [])
            path = _next(response)
        return out

    def repositories(self) -> list[str]:
        return sorted(self._paged(f"/v2/_catalog?n={PAGE}", "repositories"))

    def _manifest(self, repository: str, reference: str):
        response = self.http.request(
            "GET", f"/v2/{repository}/manifests/{quote(reference)}", headers={"Accept": ACCEPT},
            ok=(200, 404),
        )  # fmt: skip
        if response.status == 404:
            return None, None
        return response.headers.get("Docker-Content-Digest"), json.loads(response.data)

    def _created(self, repository: str, manifest: dict) -> datetime | None:
        config = (manifest.get("config") or {}).get("digest")
        if not config:
            return None
        blob = self.http.json("GET", f"/v2/{repository}/blobs/{config}")
        return parse_datetime(blob.get("created") or "") if isinstance(blob, dict) else None

    def artifacts(self, repository: str) -> list[Artifact]:
        by_digest: dict[str, Artifact] = {}
        for tag in self._paged(f"/v2/{repository}/tags/list?n={PAGE}", "tags"):
            digest, manifest = self._manifest(repository, tag)
            if digest is None or manifest is None:
                continue  # deleted since the list
            if digest in by_digest:
                by_digest[digest].tags.append(tag)
                continue
            children = [m["digest"] for m in manifest.get("manifests") or []]
            image = manifest
            if children:  # an index: its first child's config says when it was built
                image = self._manifest(repository, children[0])[1] or {}
            size = sum(int(x.get("size") or 0) for x in (image.get("layers") or []))
            by_digest[digest] = Artifact(repository, digest, [tag], self._created(repository, image),
                                         size, children)  # fmt: skip
        return list(by_digest.values())

    def resolve(self, repository: str, tag: str) -> str | None:
        response = self.http.request("HEAD", f"/v2/{repository}/manifests/{quote(tag)}",
                                     headers={"Accept": ACCEPT}, ok=(200, 404))  # fmt: skip
        return response.headers.get("Docker-Content-Digest") if response.status == 200 else None

    def delete(self, repository: str, digest: str) -> bool:
        """True when deleted, False when it was already gone (a 404 is done)."""
        response = self.http.request("DELETE", f"/v2/{repository}/manifests/{digest}",
                                     ok=(202, 200, 404))  # fmt: skip
        return response.status != 404

    def start_gc(self) -> str | None:
        return None

    def gc_status(self, job: str) -> tuple[str, int | None]:
        raise RegistryError("a Distribution registry collects garbage on its host")

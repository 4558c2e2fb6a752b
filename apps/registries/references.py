"""Image references as clusters write them, parsed into (host, repository, tag, digest),
so a pod's `registry.example.com:5000/team/api:1.4@sha256:...` or its imageID
`docker-pullable://registry.example.com:5000/team/api@sha256:...` names one repository."""

from __future__ import annotations

from dataclasses import dataclass

DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class Ref:
    host: str
    repository: str
    tag: str = ""
    digest: str = ""


def parse(reference: str) -> Ref | None:
    ref = (reference or "").strip()
    if "://" in ref:
        ref = ref.split("://", 1)[1]
    if not ref or ref.startswith("sha256:"):
        return None
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = ""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    first, _sep, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, repository = first, rest
    else:
        host, repository = DOCKER_HUB, ref if rest else f"library/{ref}"
    if not tag and not digest:
        tag = "latest"
    return Ref(host.lower(), repository, tag, digest)

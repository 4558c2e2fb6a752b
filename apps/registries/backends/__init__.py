"""Registry backends behind one interface, looked up by kind (a third is one module with
`@register("kind")`).

A backend lists repositories and their artifacts (digest, tags, push time, size, the
children of an index), deletes an artifact by digest, and starts / follows garbage
collection where the registry can do that through its API.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass
class Artifact:
    repository: str
    digest: str
    tags: list[str]
    pushed_at: datetime | None
    size: int = 0
    children: list[str] = field(default_factory=list)  # manifests of an index


class RegistryError(Exception):
    """A registry call failed; the message is in words for the run report."""


class Backend(Protocol):
    api_calls: int

    def probe(self) -> str: ...

    def repositories(self) -> list[str]: ...

    def artifacts(self, repository: str) -> list[Artifact]: ...

    def resolve(self, repository: str, tag: str) -> str | None: ...

    def delete(self, repository: str, digest: str) -> bool: ...

    def start_gc(self) -> str | None: ...

    def gc_status(self, job: str) -> tuple[str, int | None]: ...


_BACKENDS: dict[str, type] = {}


def register(kind: str):
    def wrap(cls):
        _BACKENDS[kind] = cls
        return cls

    return wrap


def backend_for(registry) -> Backend:
    return _BACKENDS[registry.kind](registry)


def autodiscover() -> None:
    for name in ("distribution", "harbor"):
        importlib.import_module(f"apps.registries.backends.{name}")

"""One virtual cluster: storage, resource registry, API layer, simulated control plane and
its HTTPS listener on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from . import pki
from .apiserver import Api
from .faults import Faults
from .openapi import builtin_paths, crd_document
from .resources import Registry
from .server import make_app
from .storage import Store

log = logging.getLogger("k2sim")


@dataclass
class ClusterConfig:
    name: str
    state_dir: Path
    nodes: int = 3
    port: int = 0
    pod_ready_delay: float = 0.5
    ip_leak_rate: float = 0.0
    node_cpu: str = "8"
    node_memory: str = "32Gi"
    log_interval: float = 1.0
    service_cidr: str = "10.96.0.0/16"
    pod_cidr: str = "10.244.0.0/16"
    history: int = 20000
    extra: dict[str, Any] = field(default_factory=dict)


class Cluster:
    def __init__(self, cfg: ClusterConfig):
        from .controllers import ControlPlane
        from .exec import Execs
        from .logs import Logs
        from .metrics import Metrics

        self.cfg = cfg
        self.name = cfg.name
        self.dir = Path(cfg.state_dir) / cfg.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(history=cfg.history)
        self.registry = Registry()
        self.api = Api(self)
        self.faults = Faults()
        self.watchers: set[Any] = set()
        self.tokens = self._load_tokens()
        self._openapi_cache: dict[str, bytes] | None = None
        self.logs = Logs(self)
        self.execs = Execs(self)
        self.metrics = Metrics(self)
        self.control = ControlPlane(self)
        self.port = cfg.port
        self.runner: web.AppRunner | None = None
        self.site: web.TCPSite | None = None
        self.ssl_ctx: ssl.SSLContext | None = None

    # -- identity ------------------------------------------------------------------------
    def _load_tokens(self) -> dict[str, str]:
        path = self.dir / "tokens.json"
        if path.exists():
            return json.loads(path.read_text())
        tokens = {"admin": pki.new_token("admin"), "readonly": pki.new_token("readonly")}
        path.write_text(json.dumps(tokens))
        path.chmod(0o600)
        return tokens

    def user_for(self, token: str) -> str | None:
        if not token:
            return None
        for user, t in self.tokens.items():
            if t == token:
                return user
        return None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> Path:
        return Path(self.cfg.state_dir) / "ca.crt"

    # -- openapi -------------------------------------------------------------------------
    def openapi_docs(self) -> dict[str, bytes]:
        if self._openapi_cache is None:
            docs = dict(builtin_paths())
            crds: dict[str, list[Any]] = {}
            for res in self.registry.by_gvr.values():
                if res.crd_schema is not None:
                    crds.setdefault(f"apis/{res.group}/{res.version}", []).append(res)
            for k, rs in crds.items():
                docs[k] = crd_document(rs)
            self._openapi_cache = docs
        return self._openapi_cache

    def invalidate_openapi(self) -> None:
        self._openapi_cache = None

    # -- lifecycle -----------------------------------------------------------------------
    def bootstrap(self) -> None:
        """Create what a fresh cluster has: system namespaces, nodes, the kubernetes service."""
        self.control.bootstrap()

    async def start(self) -> None:
        crt, key = pki.ensure_server_cert(Path(self.cfg.state_dir), self.name)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(crt), str(key))
        self.ssl_ctx = ctx
        self.control.start()
        self.runner = web.AppRunner(make_app(self), handle_signals=False, access_log=None)
        await self.runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self.runner is not None
        self.site = web.TCPSite(
            self.runner, "127.0.0.1", self.port, ssl_context=self.ssl_ctx, reuse_address=True
        )
        await self.site.start()
        if not self.port:
            server = self.site._server  # noqa: SLF001 - aiohttp exposes no public accessor
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def set_faults(self, clear: bool = False, **kw: Any) -> None:
        was_refusing = self.faults.refuse_connections
        if clear:
            self.faults.clear()
        else:
            self.faults.update(kw)
        if self.faults.refuse_connections and not was_refusing and self.site is not None:
            await self.site.stop()
            self.site = None
        elif not self.faults.refuse_connections and was_refusing and self.runner is not None:
            await self._listen()

    async def stop(self) -> None:
        for w in list(self.watchers):
            w.queue.put_nowait(None)
        self.control.stop()
        self.execs.stop_all()
        self.logs.stop_all()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

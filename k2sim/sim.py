"""Runs several virtual clusters in one asyncio loop, writes their kubeconfigs and serves
the admin endpoint that ``k2sim fault`` talks to (separate port, so it keeps working while
a cluster refuses connections)."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from pathlib import Path
from typing import Any

from aiohttp import web

from . import kubeconfig, pki, snapshot
from .cluster import Cluster, ClusterConfig

log = logging.getLogger("k2sim")
AUTOSAVE = 30.0


class Simulator:
    def __init__(
        self,
        names: list[str] | tuple[str, ...],
        state_dir: str | Path,
        *,
        nodes: int = 3,
        port_base: int = 0,
        pod_ready_delay: float = 0.5,
        ip_leak_rate: float = 0.0,
        snapshot: bool = False,
        install_calico: bool = True,
        exec_enabled: bool = True,
        log_interval: float = 1.0,
        history: int = 20000,
        cluster_options: dict[str, dict[str, Any]] | None = None,
    ):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.snapshot = snapshot
        self._saver: asyncio.Future[None] | None = None
        self.clusters: dict[str, Cluster] = {}
        for i, name in enumerate(names):
            opts = dict((cluster_options or {}).get(name, {}))
            extra = {
                "install_calico": opts.pop("install_calico", install_calico),
                "exec_enabled": opts.pop("exec_enabled", exec_enabled),
            }
            cfg = ClusterConfig(
                name=name,
                state_dir=self.state_dir,
                nodes=opts.pop("nodes", nodes),
                port=port_base + i if port_base else 0,
                pod_ready_delay=opts.pop("pod_ready_delay", pod_ready_delay),
                ip_leak_rate=opts.pop("ip_leak_rate", ip_leak_rate),
                log_interval=opts.pop("log_interval", log_interval),
                history=opts.pop("history", history),
                extra=extra,
                **opts,
            )
            self.clusters[name] = Cluster(cfg)
        self.admin_runner: web.AppRunner | None = None
        self.admin_url = ""

    @property
    def kubeconfig_path(self) -> Path:
        return self.state_dir / "kubeconfig"

    async def start(self) -> None:
        pki.ensure_ca(self.state_dir)
        for c in self.clusters.values():
            if self.snapshot:
                snapshot.restore(c)
            c.bootstrap()
            await c.start()
        entries = []
        for c in self.clusters.values():
            entries.append((c.name, c.url, c.ca_path, c.tokens["admin"]))
            kubeconfig.write(c.dir / "kubeconfig", kubeconfig.render([entries[-1]]))
            kubeconfig.write(
                c.dir / "kubeconfig-readonly",
                kubeconfig.render([(c.name, c.url, c.ca_path, c.tokens["readonly"])]),
            )
        kubeconfig.write(self.kubeconfig_path, kubeconfig.render(entries))
        await self._start_admin()
        if self.snapshot:
            self._saver = asyncio.ensure_future(self._autosave())

    async def _start_admin(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/clusters/{name}/faults", self._faults)
        app.router.add_get("/clusters", self._list)
        self.admin_runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.admin_runner.setup()
        crt, key = pki.ensure_server_cert(self.state_dir, ".admin")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(crt), str(key))
        site = web.TCPSite(self.admin_runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.admin_url = f"https://127.0.0.1:{port}"
        (self.state_dir / "admin.json").write_text(
            json.dumps({"url": self.admin_url, "pid": __import__("os").getpid()})
        )

    def _auth(self, request: web.Request, cluster: Cluster) -> bool:
        auth = request.headers.get("Authorization", "")
        return auth == f"Bearer {cluster.tokens['admin']}"

    async def _list(self, request: web.Request) -> web.Response:
        ok = any(self._auth(request, c) for c in self.clusters.values())
        if not ok:
            return web.json_response({"error": "admin token required"}, status=401)
        return web.json_response(
            {n: {"url": c.url, "faults": c.faults.as_dict()} for n, c in self.clusters.items()}
        )

    async def _faults(self, request: web.Request) -> web.Response:
        c = self.clusters.get(request.match_info["name"])
        if c is None:
            return web.json_response({"error": "no such cluster"}, status=404)
        if not self._auth(request, c):
            return web.json_response({"error": "admin token required"}, status=401)
        try:
            if request.method == "DELETE":
                await c.set_faults(clear=True)
            elif request.method in ("PUT", "POST", "PATCH"):
                await c.set_faults(**(await request.json()))
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(c.faults.as_dict())

    def ready_line(self) -> str:
        parts = [f"{n}={c.url}" for n, c in self.clusters.items()]
        return f"k2sim ready: {' '.join(parts)} kubeconfig={self.kubeconfig_path} admin={self.admin_url}"

    async def _autosave(self) -> None:
        """Also snapshot every AUTOSAVE seconds when something changed, so a killed
        process (not just a clean SIGTERM) loses little."""
        saved = {n: c.store.rv for n, c in self.clusters.items()}
        while True:
            await asyncio.sleep(AUTOSAVE)
            for n, c in self.clusters.items():
                if c.store.rv != saved[n]:
                    snapshot.save(c)
                    saved[n] = c.store.rv

    async def stop(self) -> None:
        if self._saver is not None:
            self._saver.cancel()
        if self.admin_runner is not None:
            await self.admin_runner.cleanup()
        for c in self.clusters.values():
            await c.stop()
            if self.snapshot:
                snapshot.save(c)

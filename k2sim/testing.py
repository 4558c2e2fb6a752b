"""Start k2sim clusters inside the current process for tests.

    from k2sim.testing import running_clusters

    with running_clusters(("test", "prod"), state_dir=tmp_path) as sim:
        prod = sim["prod"]
        config.load_kube_config(str(prod.kubeconfig_path))
        prod.set_faults(latency_ms=200, error_rate=0.1)
        ...
        prod.clear_faults()

The clusters run on their own asyncio loop in a daemon thread and listen on free ports on
127.0.0.1 (HTTPS with a per-state-dir CA). This API is kept small and stable; other test
suites build on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .sim import Simulator

T = TypeVar("T")


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="k2sim-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        async def wrapper() -> T:
            return fn(*args)

        return self.run(wrapper())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class ClusterHandle:
    """Connection facts for one running cluster, plus fault control."""

    name: str
    url: str
    host: str
    port: int
    ca_path: Path
    admin_token: str
    readonly_token: str
    kubeconfig_path: Path
    readonly_kubeconfig_path: Path
    _runner: _LoopThread = field(repr=False)
    _cluster: Any = field(repr=False)

    def set_faults(
        self, latency_ms: int = 0, error_rate: float = 0.0, refuse_connections: bool = False
    ) -> None:
        """Replace this cluster's faults (latency in ms, error rate 0..1, refuse connections)."""
        self._runner.run(
            self._cluster.set_faults(
                latency_ms=latency_ms, error_rate=error_rate, refuse_connections=refuse_connections
            )
        )

    def clear_faults(self) -> None:
        self._runner.run(self._cluster.set_faults(clear=True))

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the cluster's loop thread (to inspect internals safely)."""
        return self._runner.call(fn, *args)

    @property
    def cluster(self) -> Any:
        """The in-process ``k2sim.cluster.Cluster`` (use only via ``call``)."""
        return self._cluster

    def api_client(self, token: str | None = None) -> Any:
        """An official ``kubernetes.client.ApiClient`` for this cluster (admin by default)."""
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = self.url
        cfg.ssl_ca_cert = str(self.ca_path)
        cfg.api_key = {"authorization": f"Bearer {token or self.admin_token}"}
        return client.ApiClient(cfg)


@dataclass
class RunningClusters:
    """What ``running_clusters`` yields: ``sim["prod"]`` is a ``ClusterHandle``;
    ``kubeconfig_path`` has one context per cluster."""

    clusters: dict[str, ClusterHandle]
    kubeconfig_path: Path
    state_dir: Path

    def __getitem__(self, name: str) -> ClusterHandle:
        return self.clusters[name]

    def __iter__(self) -> Iterator[ClusterHandle]:
        return iter(self.clusters.values())


@contextlib.contextmanager
def running_clusters(
    names: tuple[str, ...] | list[str] = ("test", "prod"),
    *,
    nodes: int = 3,
    state_dir: str | Path | None = None,
    pod_ready_delay: float = 0.2,
    ip_leak_rate: float = 0.0,
    install_calico: bool = True,
    exec_enabled: bool = True,
    log_interval: float = 0.2,
    snapshot: bool = False,
    cluster_options: dict[str, dict[str, Any]] | None = None,
) -> Iterator[RunningClusters]:
    """Start clusters in-process on free ports; stop them (and their exec shells) on exit.

    names: cluster names (each gets nodes ``<name>-node-1..N``).
    state_dir: CA, tokens, kubeconfigs, exec sandboxes (a temp dir if None).
    pod_ready_delay: seconds from container start to Ready (0 = at once).
    ip_leak_rate: share of deleted pods that leave their Calico IPAM handle behind.
    install_calico: bootstrap with Calico's CRDs and a default IPPool.
    exec_enabled: allow pods/exec (it runs real local processes; False answers 403).
    log_interval: seconds between generated container log lines.
    snapshot: restore objects from state_dir on start and save them on exit.
    cluster_options: per-cluster overrides of the above, e.g.
        ``{"test": {"install_calico": False}, "prod": {"ip_leak_rate": 0.1}}``.
    """
    tmp = None
    if state_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="k2sim-")
        state_dir = tmp.name
    runner = _LoopThread()
    sim: Simulator | None = None
    try:
        sim = _build(
            runner,
            names,
            state_dir,
            nodes=nodes,
            pod_ready_delay=pod_ready_delay,
            ip_leak_rate=ip_leak_rate,
            install_calico=install_calico,
            exec_enabled=exec_enabled,
            log_interval=log_interval,
            snapshot=snapshot,
            cluster_options=cluster_options,
        )
        runner.run(sim.start())
        handles = {
            n: ClusterHandle(
                name=n,
                url=c.url,
                host="127.0.0.1",
                port=c.port,
                ca_path=c.ca_path,
                admin_token=c.tokens["admin"],
                readonly_token=c.tokens["readonly"],
                kubeconfig_path=c.dir / "kubeconfig",
                readonly_kubeconfig_path=c.dir / "kubeconfig-readonly",
                _runner=runner,
                _cluster=c,
            )
            for n, c in sim.clusters.items()
        }
        yield RunningClusters(handles, sim.kubeconfig_path, Path(state_dir))
    finally:
        if sim is not None:
            with contextlib.suppress(Exception):
                runner.run(sim.stop(), timeout=30)
        runner.close()
        if tmp is not None:
            tmp.cleanup()


def _build(runner: _LoopThread, names: Any, state_dir: Any, **kwargs: Any) -> Simulator:
    """Construct the Simulator on the loop thread (aiohttp objects bind to their loop)."""

    async def make() -> Simulator:
        return Simulator(list(names), state_dir, **kwargs)

    return runner.run(make())

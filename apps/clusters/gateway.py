"""The cluster gateway: the only place in K2Cloud that builds Kubernetes API clients.

Every call to a cluster goes through `call(cluster, operation, fn)`, which adds:

- a client per cluster, cached and rebuilt when the credentials change (the cache key is
  the cluster's `credentials_version` and TLS switch, bumped by every credential change);
- a connect and a read timeout on every request (a client subclass fills in
  `_request_timeout` when the caller gave none);
- retries with jittered exponential backoff for idempotent calls on timeouts, refused
  connections, 429 and 5xx (a write is retried only when the connection was never made);
- a per-cluster bound on concurrent calls (a BoundedSemaphore; waiting too long fails);
- a circuit breaker: after K2_CLUSTER_BREAKER_THRESHOLD consecutive failed calls the
  process fails fast for that cluster for K2_CLUSTER_BREAKER_COOLDOWN seconds, then lets
  one trial call through. A cluster the probes marked unreachable (its row's health,
  shared by every process) also fails fast until a probe succeeds; probes pass
  `probe=True` and go through;
- Prometheus metrics per cluster (calls, errors, latency, in flight, breaker state).

Breaker state lives in process memory on purpose: it must answer in microseconds on the
call path and must keep working when Redis is the thing that is down. The cross-process
part is the cluster's health in the database, which the probe task writes.
"""

from __future__ import annotations

import json
import logging
import os
import random
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException
from kubernetes.utils.quantity import parse_quantity  # noqa: F401  (apps/clusters/quantity.py)
from prometheus_client import Counter, Gauge, Histogram

from apps.clusters.choices import Health
from apps.clusters.kubeconfig import Credentials
from apps.core.crypto import DecryptionError

log = logging.getLogger(__name__)
T = TypeVar("T")

CALLS = Counter(
    "k2_cluster_calls", "Calls from K2Cloud to a cluster's API", ["cluster", "operation", "outcome"]
)
ERRORS = Counter("k2_cluster_errors", "Failed cluster API attempts by kind", ["cluster", "kind"])
LATENCY = Histogram(
    "k2_cluster_call_seconds",
    "Duration of cluster API calls, retries included",
    ["cluster", "operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_FLIGHT = Gauge("k2_cluster_calls_in_flight", "Cluster API calls running now", ["cluster"])
BREAKER_OPEN = Gauge("k2_cluster_breaker_open", "1 while the circuit breaker is open", ["cluster"])


@dataclass(frozen=True)
class Limits:
    connect_timeout: float
    read_timeout: float
    attempts: int
    backoff_base: float
    backoff_max: float
    max_concurrency: int
    acquire_timeout: float
    breaker_threshold: int
    breaker_cooldown: float

    @classmethod
    def current(cls) -> Limits:
        return cls(
            connect_timeout=settings.K2_CLUSTER_CONNECT_TIMEOUT,
            read_timeout=settings.K2_CLUSTER_READ_TIMEOUT,
            attempts=max(1, settings.K2_CLUSTER_RETRY_ATTEMPTS),
            backoff_base=settings.K2_CLUSTER_RETRY_BACKOFF,
            backoff_max=settings.K2_CLUSTER_RETRY_BACKOFF_MAX,
            max_concurrency=max(1, settings.K2_CLUSTER_MAX_CONCURRENCY),
            acquire_timeout=settings.K2_CLUSTER_ACQUIRE_TIMEOUT,
            breaker_threshold=max(1, settings.K2_CLUSTER_BREAKER_THRESHOLD),
            breaker_cooldown=settings.K2_CLUSTER_BREAKER_COOLDOWN,
        )


# --- errors ------------------------------------------------------------------------------
class Kind:
    UNREACHABLE = "unreachable"
    TLS = "tls"
    TIMEOUT = "timeout"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    THROTTLED = "throttled"
    SERVER = "server_error"
    CIRCUIT_OPEN = "circuit_open"
    BUSY = "busy"
    PROTOCOL = "protocol"


RETRYABLE = {Kind.UNREACHABLE, Kind.TIMEOUT, Kind.THROTTLED, Kind.SERVER, Kind.PROTOCOL}
# Kinds that say nothing about the cluster's health (the request itself was refused).
CLIENT_SIDE = {Kind.NOT_FOUND, Kind.CONFLICT, Kind.INVALID, Kind.FORBIDDEN}


class GatewayError(Exception):
    """A cluster call failed; `kind` classifies it, the message says it in words."""

    def __init__(self, kind: str, message: str, *, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.body = body
        # True when the request may have reached the server (a write must not be resent).
        self.sent = kind not in {Kind.UNREACHABLE, Kind.TLS, Kind.CIRCUIT_OPEN, Kind.BUSY}

    @property
    def message(self) -> str:
        return str(self)


def _api_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or "{}").get("message") or exc.reason or "")
    except (ValueError, AttributeError):
        return str(exc.reason or "")


def classify(exc: BaseException, server: str = "") -> GatewayError:
    """Turn a client or transport exception into a GatewayError with a message in words."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, ApiException) and not exc.status:
        # The client reports TLS failures as status 0 with the urllib3 text as reason.
        text = str(exc.reason or exc)
        if "SSL" in text or "CERTIFICATE" in text:
            return GatewayError(
                Kind.TLS,
                _("TLS verification of %(server)s failed: the server's certificate is not "
                  "trusted by the configured CA (%(detail)s).")
                % {"server": server, "detail": _short(Exception(text))},
            )  # fmt: skip
        return GatewayError(Kind.PROTOCOL, _("The request to %(server)s failed: %(detail)s")
                            % {"server": server, "detail": text[:200]})  # fmt: skip
    if isinstance(exc, ApiException):
        status, detail = exc.status or 0, _api_message(exc)
        if status == 401:
            return GatewayError(
                Kind.UNAUTHORIZED,
                _("The cluster rejected the credentials (401 Unauthorized): the token or "
                  "certificate is wrong or has expired."),
                status=401, body=exc.body or "",
            )  # fmt: skip
        if status == 403:
            return GatewayError(
                Kind.FORBIDDEN,
                _("The cluster refused the request (403 Forbidden): %(detail)s") % {"detail": detail},
                status=403, body=exc.body or "",
            )  # fmt: skip
        kind = {404: Kind.NOT_FOUND, 409: Kind.CONFLICT, 422: Kind.INVALID, 400: Kind.INVALID,
                429: Kind.THROTTLED}.get(status, Kind.SERVER if status >= 500 else Kind.INVALID)  # fmt: skip
        return GatewayError(
            kind,
            _("The cluster answered %(status)s: %(detail)s") % {"status": status, "detail": detail},
            status=status,
            body=exc.body or "",
        )
    reason = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        reason = exc.reason
    if isinstance(reason, urllib3.exceptions.SSLError | ssl.SSLError):
        return GatewayError(
            Kind.TLS,
            _("TLS verification of %(server)s failed: the server's certificate is not trusted "
              "by the configured CA (%(detail)s).")
            % {"server": server, "detail": _short(reason)},
        )  # fmt: skip
    if isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        return GatewayError(
            Kind.UNREACHABLE,
            _("Cannot connect to %(server)s: %(detail)s") % {"server": server, "detail": _short(reason)},
        )  # fmt: skip
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
        return GatewayError(
            Kind.UNREACHABLE,
            _("Connecting to %(server)s timed out.") % {"server": server},
        )
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return GatewayError(
            Kind.TIMEOUT,
            _("%(server)s did not answer in time (read timeout).") % {"server": server},
        )
    if isinstance(reason, urllib3.exceptions.ProtocolError | ConnectionError | OSError):
        return GatewayError(
            Kind.PROTOCOL,
            _("The connection to %(server)s broke: %(detail)s")
            % {"server": server, "detail": _short(reason)},
        )
    if isinstance(reason, urllib3.exceptions.HTTPError):
        return GatewayError(
            Kind.PROTOCOL,
            _("The request to %(server)s failed: %(detail)s")
            % {"server": server, "detail": _short(reason)},
        )
    raise exc


def _short(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text or isinstance(exc, ConnectionRefusedError):
        return _("connection refused")
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return _("certificate verify failed")
    return text[:200]


# --- clients -----------------------------------------------------------------------------
class _TimeoutApiClient(k8s.ApiClient):
    """An ApiClient that never waits forever: a default (connect, read) timeout per request."""

    default_timeout: tuple[float, float] = (3.0, 15.0)

    def call_api(self, method, url, header_params=None, body=None, post_params=None,
                 _request_timeout=None):  # fmt: skip
        return super().call_api(
            method, url, header_params=header_params, body=body, post_params=post_params,
            _request_timeout=_request_timeout or self.default_timeout,
        )  # fmt: skip


class Clients:
    """The typed APIs of one cluster, created on first use from one ApiClient."""

    def __init__(self, api_client: k8s.ApiClient):
        self.api_client = api_client
        self._apis: dict[type, Any] = {}

    def _get(self, cls):
        api = self._apis.get(cls)
        if api is None:
            api = self._apis[cls] = cls(self.api_client)
        return api

    core = property(lambda self: self._get(k8s.CoreV1Api))
    apps = property(lambda self: self._get(k8s.AppsV1Api))
    batch = property(lambda self: self._get(k8s.BatchV1Api))
    networking = property(lambda self: self._get(k8s.NetworkingV1Api))
    authorization = property(lambda self: self._get(k8s.AuthorizationV1Api))
    custom = property(lambda self: self._get(k8s.CustomObjectsApi))
    version = property(lambda self: self._get(k8s.VersionApi))
    rbac = property(lambda self: self._get(k8s.RbacAuthorizationV1Api))


def build_api_client(
    credentials: Credentials, *, verify_tls: bool = True, limits: Limits | None = None
) -> k8s.ApiClient:
    """A fresh ApiClient for these credentials (no caching; `call` caches)."""
    limits = limits or Limits.current()
    conf = k8s.Configuration()
    conf.host = credentials.server
    conf.verify_ssl = verify_tls
    if credentials.ca_data:
        conf.ca_cert_data = credentials.ca_data
    if credentials.tls_server_name:
        conf.tls_server_name = credentials.tls_server_name
    if credentials.token:
        conf.api_key = {"authorization": f"Bearer {credentials.token}"}
    if credentials.client_cert_data:
        # urllib3 loads client certificates from files only: a private folder per client.
        folder = tempfile.mkdtemp(prefix="k2-cluster-")
        os.chmod(folder, 0o700)
        for attr, data, name in (("cert_file", credentials.client_cert_data, "client.crt"),
                                 ("key_file", credentials.client_key_data, "client.key")):  # fmt: skip
            path = os.path.join(folder, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as fh:
                fh.write(data)
            setattr(conf, attr, path)
    conf.retries = False  # our own retries (with backoff) decide, never urllib3's
    conf.connection_pool_maxsize = limits.max_concurrency
    api_client = _TimeoutApiClient(conf)
    api_client.default_timeout = (limits.connect_timeout, limits.read_timeout)
    api_client.user_agent = "k2cloud-gateway"
    return api_client


# --- per-cluster state -------------------------------------------------------------------
@dataclass
class Breaker:
    """Consecutive-failure circuit breaker (closed → open → half-open trial → closed)."""

    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, cooldown: float) -> bool:
        with self.lock:
            if self.opened_at is None:
                return True
            if time.monotonic() - self.opened_at >= cooldown and not self.trial_running:
                self.trial_running = True  # half-open: one call tests the water
                return True
            return False

    def succeeded(self) -> None:
        with self.lock:
            self.failures, self.opened_at, self.trial_running = 0, None, False

    def failed(self, threshold: int) -> bool:
        """Count a failure; True when this failure opened (or re-opened) the breaker."""
        with self.lock:
            self.failures += 1
            self.trial_running = False
            if self.failures >= threshold:
                self.opened_at = time.monotonic()
                return True
            return False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


@dataclass
class _Entry:
    semaphore: threading.BoundedSemaphore
    breaker: Breaker = field(default_factory=Breaker)
    key: tuple | None = None
    clients: Clients | None = None
    stream_ssl: tuple | None = None  # (key, SSLContext) of streams, rebuilt with the clients


_entries: dict[int, _Entry] = {}
_entries_lock = threading.Lock()


def _entry(cluster, limits: Limits) -> _Entry:
    entry = _entries.get(cluster.pk)
    if entry is None:
        with _entries_lock:
            entry = _entries.setdefault(
                cluster.pk, _Entry(semaphore=threading.BoundedSemaphore(limits.max_concurrency))
            )
    return entry


def _clients(cluster, entry: _Entry, limits: Limits) -> Clients:
    key = (cluster.credentials_version, cluster.verify_tls, cluster.api_url)
    if entry.clients is None or entry.key != key:
        with _entries_lock:
            if entry.clients is None or entry.key != key:
                # The old client is not closed: calls of other threads may still use it;
                # its pool goes with the last reference.
                api_client = build_api_client(
                    cluster.get_credentials(), verify_tls=cluster.verify_tls, limits=limits
                )
                entry.clients, entry.key = Clients(api_client), key
    return entry.clients


def reset(cluster_id: int | None = None) -> None:
    """Forget cached clients and breaker state (all clusters, or one)."""
    with _entries_lock:
        ids = list(_entries) if cluster_id is None else [cluster_id]
        for pk in ids:
            entry = _entries.pop(pk, None)
            if entry and entry.clients:
                entry.clients.api_client.close()


def breaker_open(cluster) -> bool:
    entry = _entries.get(cluster.pk)
    return bool(entry and entry.breaker.is_open)


@dataclass
class CallStats:
    """What happened under the hood of one or more calls (the probe reads it)."""

    attempts: int = 0
    retried_errors: int = 0
    errors: list[str] = field(default_factory=list)


def _backoff(attempt: int, limits: Limits) -> float:
    # "Equal jitter": half the exponential ceiling plus a random half spreads retrying clients.
    ceiling = min(limits.backoff_max, limits.backoff_base * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


def _fail_fast(cluster, entry: _Entry, limits: Limits, operation: str) -> None:
    """Refuse at once a cluster the probes marked unreachable or whose breaker is open."""
    label = cluster.name
    if getattr(cluster, "health", None) == Health.UNREACHABLE:
        CALLS.labels(label, operation, Kind.CIRCUIT_OPEN).inc()
        raise GatewayError(
            Kind.CIRCUIT_OPEN,
            _("Cluster %(name)s is unreachable; calls resume after a probe succeeds.")
            % {"name": label},
        )
    if not entry.breaker.allow(limits.breaker_cooldown):
        CALLS.labels(label, operation, Kind.CIRCUIT_OPEN).inc()
        raise GatewayError(
            Kind.CIRCUIT_OPEN,
            _("Cluster %(name)s is failing; K2Cloud stopped calling it for a while.")
            % {"name": label},
        )


def call(
    cluster,
    operation: str,
    fn: Callable[[Clients], T],
    *,
    idempotent: bool = True,
    probe: bool = False,
    stats: CallStats | None = None,
) -> T:
    """Run `fn(clients)` against `cluster` with the gateway's protections.

    1. Fail fast if the cluster is marked unreachable or the breaker is open (not probes).
    2. Take a slot of the cluster's concurrency bound (GatewayError BUSY if none frees up).
    3. Call; on a retryable failure, retry idempotent calls with jittered backoff.
    4. Record metrics and feed the breaker; raise GatewayError with a message in words.
    """
    limits = Limits.current()
    entry = _entry(cluster, limits)
    label = cluster.name
    stats = stats if stats is not None else CallStats()
    if not probe:
        _fail_fast(cluster, entry, limits, operation)
    if not entry.semaphore.acquire(timeout=limits.acquire_timeout):
        CALLS.labels(label, operation, Kind.BUSY).inc()
        raise GatewayError(
            Kind.BUSY,
            _("Cluster %(name)s has too many calls in progress; try again shortly.")
            % {"name": label},
        )
    started = time.monotonic()
    IN_FLIGHT.labels(label).inc()
    try:
        try:
            clients = _clients(cluster, entry, limits)
        except DecryptionError as exc:
            CALLS.labels(label, operation, Kind.UNAUTHORIZED).inc()
            raise GatewayError(
                Kind.UNAUTHORIZED,
                _("The stored credentials of cluster %(name)s cannot be decrypted with "
                  "K2_ENCRYPTION_KEYS (was a key removed before rotation?).") % {"name": label},
            ) from exc  # fmt: skip
        attempt = 0
        while True:
            stats.attempts += 1
            try:
                result = fn(clients)
            except Exception as exc:  # noqa: BLE001 - classified below, unknown ones re-raised
                error = classify(exc, cluster.api_url)
                ERRORS.labels(label, error.kind).inc()
                stats.errors.append(error.message)
                retry = error.kind in RETRYABLE and (idempotent or not error.sent)
                if retry and attempt + 1 < limits.attempts:
                    stats.retried_errors += 1
                    time.sleep(_backoff(attempt, limits))
                    attempt += 1
                    continue
                if error.kind in CLIENT_SIDE:
                    entry.breaker.succeeded()  # the cluster answered; only the request was bad
                elif entry.breaker.failed(limits.breaker_threshold):
                    BREAKER_OPEN.labels(label).set(1)
                    log.warning("circuit breaker open for cluster %s: %s", label, error)
                CALLS.labels(label, operation, error.kind).inc()
                raise error from exc
            entry.breaker.succeeded()
            BREAKER_OPEN.labels(label).set(0)
            CALLS.labels(label, operation, "ok").inc()
            return result
    finally:
        IN_FLIGHT.labels(label).dec()
        LATENCY.labels(label, operation).observe(time.monotonic() - started)
        entry.semaphore.release()


def close_breaker(cluster) -> None:
    """A probe succeeded: let calls through again in this process."""
    entry = _entries.get(cluster.pk)
    if entry:
        entry.breaker.succeeded()
    BREAKER_OPEN.labels(cluster.name).set(0)


# --- registration checks -----------------------------------------------------------------
@dataclass
class AccessCheck:
    version: str
    may_create_namespaces: bool
    detail: str = ""


def check_access(credentials: Credentials, *, verify_tls: bool = True) -> AccessCheck:
    """Connect with credentials not stored yet: read the version, then ask whether they may
    create namespaces (SelfSubjectAccessReview, or a dry-run create where it is not served).

    Raises GatewayError (with a message in words) when the cluster cannot be used at all.
    """
    limits = Limits.current()
    api_client = build_api_client(credentials, verify_tls=verify_tls, limits=limits)
    clients = Clients(api_client)
    server = credentials.server
    try:
        try:
            info = clients.version.get_code()
            version = info.git_version
            # /version may be public: a namespaced read proves the credentials themselves.
            clients.core.list_namespace(limit=1)
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, server) from exc
        review = k8s.V1SelfSubjectAccessReview(
            spec=k8s.V1SelfSubjectAccessReviewSpec(
                resource_attributes=k8s.V1ResourceAttributes(verb="create", resource="namespaces")
            )
        )
        try:
            answer = clients.authorization.create_self_subject_access_review(review)
            allowed = bool(answer.status and answer.status.allowed)
            return AccessCheck(
                version, allowed, (answer.status.reason or "") if answer.status else ""
            )
        except ApiException as exc:
            if exc.status not in (404, 405):
                raise classify(exc, server) from exc
        probe_ns = k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="k2cloud-access-check"))
        try:
            clients.core.create_namespace(probe_ns, dry_run="All")
        except ApiException as exc:
            if exc.status == 403:
                return AccessCheck(version, False, _api_message(exc))
            if exc.status != 409:
                raise classify(exc, server) from exc
        return AccessCheck(version, True)
    except GatewayError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise classify(exc, server) from exc
    finally:
        api_client.close()


# --- probe -------------------------------------------------------------------------------
@dataclass
class ClusterFacts:
    """What a probe read from a cluster."""

    version: str = ""
    nodes: list[dict] = field(default_factory=list)
    pods: list[dict] = field(default_factory=list)  # per running pod: requests and limits
    errors: list[str] = field(default_factory=list)


def _resources(container) -> tuple[dict, dict]:
    res = container.resources
    return (dict(res.requests or {}) if res else {}), (dict(res.limits or {}) if res else {})


def read_facts(cluster, *, stats: CallStats | None = None) -> ClusterFacts:
    """Version, nodes (ready, capacity, allocatable) and the resource totals of live pods.

    The version is required (GatewayError otherwise); a failing node or pod list is noted
    in `errors` so the probe can call the cluster degraded rather than unreachable.
    """
    stats = stats if stats is not None else CallStats()
    facts = ClusterFacts()
    info = call(cluster, "version", lambda c: c.version.get_code(), probe=True, stats=stats)
    facts.version = info.git_version or ""
    try:
        node_list = call(
            cluster, "list_nodes", lambda c: c.core.list_node(), probe=True, stats=stats
        )
        for node in node_list.items:
            conditions = {c.type: c.status for c in (node.status.conditions or [])}
            facts.nodes.append(
                {
                    "name": node.metadata.name,
                    "ready": conditions.get("Ready") == "True",
                    "unschedulable": bool(node.spec and node.spec.unschedulable),
                    "capacity": dict(node.status.capacity or {}),
                    "allocatable": dict(node.status.allocatable or {}),
                    "kubelet_version": (
                        node.status.node_info.kubelet_version if node.status.node_info else ""
                    ),
                }
            )
    except GatewayError as exc:
        facts.errors.append(_("Nodes could not be listed: %(e)s") % {"e": exc})
    try:
        facts.pods = _live_pods(cluster, stats)
    except GatewayError as exc:
        facts.errors.append(_("Pods could not be listed: %(e)s") % {"e": exc})
    return facts


def _live_pods(cluster, stats: CallStats) -> list[dict]:
    pods, token = [], None
    selector = "status.phase!=Succeeded,status.phase!=Failed"
    while True:
        page = call(
            cluster,
            "list_pods",
            lambda c, t=token: c.core.list_pod_for_all_namespaces(
                field_selector=selector, limit=500, _continue=t
            ),
            probe=True,
            stats=stats,
        )
        for pod in page.items:
            if pod.status and pod.status.phase in ("Succeeded", "Failed"):
                continue
            requests, limits = {}, {}
            for container in pod.spec.containers or []:
                req, lim = _resources(container)
                for k, v in req.items():
                    requests.setdefault(k, []).append(v)
                for k, v in lim.items():
                    limits.setdefault(k, []).append(v)
            pods.append({"node": pod.spec.node_name or "", "requests": requests, "limits": limits})
        token = page.metadata._continue if page.metadata else None
        if not token:
            return pods


def request_bytes(clients, method: str, path: str, *, query: list | None = None,
                  body: dict | None = None, content_type: str = "",
                  accept: str = "application/json") -> bytes:  # fmt: skip
    """One HTTP request by URL path on the cluster's ApiClient (what the typed client does
    not know: discovery, any LIST, /metrics), inside `call`; the body of a 2xx answer, or
    ApiException, which `call` classifies into a GatewayError in words."""
    api = clients.api_client
    headers = {"Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    method, url, headers, body, post = api.param_serialize(
        method, path, query_params=query or [], header_params=headers, body=body,
        auth_settings=["BearerToken"],
    )  # fmt: skip
    response = api.call_api(method, url, headers, body, post)
    data = response.read()
    if not 200 <= response.status < 300:
        exc = ApiException(status=response.status, reason=response.reason)
        exc.body = data.decode("utf-8", "replace") if data else ""
        raise exc
    return data or b""


def request_json(clients, method: str, path: str, *, query: list | None = None,
                 body: dict | None = None, content_type: str = "") -> dict:  # fmt: skip
    """`request_bytes` for a JSON answer."""
    data = request_bytes(clients, method, path, query=query, body=body, content_type=content_type)
    return json.loads(data) if data else {}


# --- streams (exec, logs follow, watch) ---------------------------------------------------
@dataclass(frozen=True)
class StreamTarget:
    """Where and how to open one streaming request (a websocket or a chunked GET) to a
    cluster: the URL, the authorization header and the TLS context built from the same
    cached credentials as `call`'s clients. The stream bridge (apps/clusters/streams.py)
    opens it; nothing else learns the cluster's credentials."""

    url: str
    headers: dict[str, str]
    ssl: ssl.SSLContext | bool
    server_hostname: str | None = None


def _ssl_context(conf) -> ssl.SSLContext | bool:
    if not conf.verify_ssl:
        return False
    ctx = ssl.create_default_context(cadata=conf.ca_cert_data or None)
    if conf.cert_file:
        ctx.load_cert_chain(conf.cert_file, conf.key_file)
    return ctx


def stream_target(cluster, path: str, query: list[tuple[str, str]], *,
                  scheme: str = "wss") -> StreamTarget:  # fmt: skip
    """The target of a streaming request to `path` on `cluster` (GatewayError when the
    cluster is unreachable, its breaker open, or its credentials unreadable)."""
    limits = Limits.current()
    entry = _entry(cluster, limits)
    _fail_fast(cluster, entry, limits, "stream")
    try:
        clients = _clients(cluster, entry, limits)
    except DecryptionError as exc:
        raise GatewayError(
            Kind.UNAUTHORIZED,
            _("The stored credentials of cluster %(name)s cannot be decrypted with "
              "K2_ENCRYPTION_KEYS (was a key removed before rotation?).") % {"name": cluster.name},
        ) from exc  # fmt: skip
    conf = clients.api_client.configuration
    with _entries_lock:
        cached = entry.stream_ssl
        if cached is None or cached[0] != entry.key:
            cached = entry.stream_ssl = (entry.key, _ssl_context(conf))
    headers = {"User-Agent": "k2cloud-gateway"}
    token = (conf.api_key or {}).get("authorization")
    if token:
        headers["Authorization"] = token
    base = conf.host.rstrip("/")
    if scheme == "wss":
        base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    url = f"{base}{path}?{urlencode(query)}" if query else f"{base}{path}"
    return StreamTarget(url=url, headers=headers, ssl=cached[1],
                        server_hostname=conf.tls_server_name or None)  # fmt: skip


def stream_failed(cluster, exc: BaseException) -> GatewayError:
    """Classify a failed stream open like a failed call, feeding the same breaker."""
    limits = Limits.current()
    entry = _entry(cluster, limits)
    error = classify(exc, cluster.api_url)
    ERRORS.labels(cluster.name, error.kind).inc()
    if error.kind not in CLIENT_SIDE and entry.breaker.failed(limits.breaker_threshold):
        BREAKER_OPEN.labels(cluster.name).set(1)
    CALLS.labels(cluster.name, "stream", error.kind).inc()
    return error

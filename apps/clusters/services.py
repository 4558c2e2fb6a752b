"""Writes of the clusters app. The portal, the API, `manage.py` commands and the probe task
share these functions; each checks permission, validates, writes in one transaction and
records the audit event in it."""

import logging
import re
import ssl
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.services import authorize, diff, record
from apps.clusters import gateway
from apps.clusters.choices import Environment, Health
from apps.clusters.kubeconfig import (
    Credentials,
    KubeconfigError,
    credentials_from_token,
    parse_kubeconfig,
)
from apps.clusters.models import Cluster, ClusterPolicy, EnvironmentPolicy, ProbeRecord
from apps.clusters.permissions import can_manage_clusters
from apps.clusters.policy import BUILTIN_DEFAULTS, POLICY_FIELDS, clean_policy, policy_values
from apps.clusters.quantity import cpu_millicores, memory_bytes
from apps.core import crypto
from apps.core.tasks import enqueue, enqueue_on_commit

log = logging.getLogger(__name__)
PROBE_ACTOR = Actor.system("workers.clusters.probe_cluster")
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Words the API uses after /clusters/ for other things.
RESERVED_NAMES = {"placement", "environments", "register", "new"}
EDITABLE_FIELDS = ["display_name", "region", "labels", "verify_tls"]
MAX_PROBE_RECORDS = 200


def _deny_unless_admin(actor: Actor, action: str, target=None) -> None:
    authorize(
        actor, action, target,
        allowed=lambda: can_manage_clusters(actor),
        message=_("Only platform admins register or change clusters."),
        cluster=target if isinstance(target, Cluster) else None,
    )  # fmt: skip


def _created_by(actor: Actor):
    return actor.person


# --- validation ----------------------------------------------------------------------------
def _clean_name(name: str, *, existing: Cluster | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 63 or not NAME_RE.match(name):
        raise ValidationError(
            {"name": [_("A cluster name is 1-63 lowercase letters, digits or '-', starting "
                        "and ending with a letter or digit.")]}
        )  # fmt: skip
    if name in RESERVED_NAMES:
        raise ValidationError(
            {"name": [_("%(name)s is a reserved word; pick another name.") % {"name": name}]}
        )
    if Cluster.objects.filter(name=name).exclude(pk=existing.pk if existing else -1).exists():
        raise ValidationError(
            {"name": [_("A cluster named %(name)s is already registered.") % {"name": name}]}
        )
    return name


def _clean_environment(environment: str) -> str:
    if environment not in Environment.values:
        raise ValidationError(
            {"environment": [_("Pick one of: %(envs)s.") % {"envs": ", ".join(Environment.values)}]}
        )
    return environment


def _clean_labels(labels) -> dict:
    if labels in (None, ""):
        return {}
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | float | bool) for k, v in labels.items()
    ):
        raise ValidationError({"labels": [_("Labels are key: value pairs of text.")]})
    return {k.strip(): str(v).strip() for k, v in labels.items() if k.strip()}


def resolve_credentials(
    *, kubeconfig=None, context=None, api_url=None, token=None, ca_data=None
) -> Credentials:
    """Credentials from a kubeconfig (and context) or from URL + token + CA."""
    try:
        if kubeconfig:
            return parse_kubeconfig(kubeconfig, context or None)
        if api_url or token:
            return credentials_from_token(api_url or "", token or "", ca_data or "")
    except KubeconfigError as exc:
        field = "kubeconfig" if kubeconfig else "api_url"
        raise ValidationError({field: [str(exc)]}) from exc
    raise ValidationError(
        {"kubeconfig": [_("Upload a kubeconfig, or give the API server URL and a token.")]}
    )


def verify_credentials(
    credentials: Credentials, *, verify_tls: bool, field: str = "kubeconfig"
) -> str:
    """Connect and check the credentials may create namespaces; the Kubernetes version."""
    if credentials.insecure_skip_tls_verify and verify_tls:
        raise ValidationError(
            {field: [_("The kubeconfig turns TLS verification off. Embed the cluster's CA "
                       "certificate, or explicitly turn TLS verification off for this cluster.")]}
        )  # fmt: skip
    try:
        check = gateway.check_access(credentials, verify_tls=verify_tls)
    except gateway.GatewayError as exc:
        raise ValidationError({field: [_registration_message(exc, credentials.server)]}) from exc
    if not check.may_create_namespaces:
        raise ValidationError(
            {field: [_("These credentials may not create namespaces on the cluster (checked "
                       "with a SelfSubjectAccessReview); K2Cloud needs that to make spaces. "
                       "%(detail)s") % {"detail": check.detail}]}
        )  # fmt: skip
    return check.version


# What an address that is not a usable Kubernetes API server answers: closed, silent and
# open-but-something-else ports all get the same sentence, so registering clusters is not
# a port scanner; the detail goes to the log for the admin.
_NOT_A_CLUSTER = {
    gateway.Kind.UNREACHABLE, gateway.Kind.TIMEOUT, gateway.Kind.PROTOCOL, gateway.Kind.NOT_FOUND,
    gateway.Kind.INVALID, gateway.Kind.SERVER, gateway.Kind.THROTTLED, gateway.Kind.CIRCUIT_OPEN,
    gateway.Kind.BUSY,
}  # fmt: skip


def _certificate_rejected(exc: BaseException) -> bool:
    """True when a TLS failure is the server's certificate being untrusted (a real TLS
    server with another CA), not a port that does not speak TLS at all."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) or (
            "CERTIFICATE_VERIFY_FAILED" in str(current)
        ):
            return True
        reason = getattr(current, "reason", None)
        current = (
            reason if isinstance(reason, BaseException)
            else current.__cause__ or current.__context__
        )  # fmt: skip
    return False


def _registration_message(exc: "gateway.GatewayError", server: str) -> str:
    if exc.kind in _NOT_A_CLUSTER or (
        exc.kind == gateway.Kind.TLS and not _certificate_rejected(exc)
    ):
        log.warning("cluster credentials refused: %s is not a usable API server (%s: %s)",
                    server, exc.kind, exc)  # fmt: skip
        return _(
            "Cannot connect to %(server)s: connection refused, no answer, or no Kubernetes API "
            "server there. Check the address and port; the K2Cloud log has the details."
        ) % {"server": server[:200]}
    return str(exc)


def environment_policy(environment: str) -> EnvironmentPolicy:
    """The editable defaults of an environment (created from the built-in ones on first use)."""
    policy, _created = EnvironmentPolicy.objects.get_or_create(
        environment=environment, defaults=dict(BUILTIN_DEFAULTS[Environment(environment)])
    )
    return policy


# --- registration ------------------------------------------------------------------------
def do_register_cluster(
    *,
    name: str,
    environment: str,
    actor: Actor,
    kubeconfig: str | bytes | None = None,
    context: str | None = None,
    api_url: str | None = None,
    token: str | None = None,
    ca_data: str | None = None,
    display_name: str = "",
    region: str = "",
    labels: dict | None = None,
    verify_tls: bool = True,
    update_existing: bool = False,
    probe_now: bool = False,
) -> Cluster:
    """Register a cluster (or, with update_existing, refresh the one of that name).

    1. Only platform admins (or the server's own commands) register clusters.
    2. Validate name, environment and labels; parse the credentials, refusing plugins
       and file references.
    3. Connect: read the version and check the credentials may create namespaces.
    4. Save the cluster with encrypted credentials and its environment's policy, audit.
    5. On commit, queue a first probe (or, with probe_now, probe here: the CLI may run
       before any broker is up).
    """
    _deny_unless_admin(actor, "cluster.register")
    existing = (
        Cluster.objects.filter(name=(name or "").strip()).first() if update_existing else None
    )
    if existing is not None:
        return do_update_cluster(
            existing, actor=actor, kubeconfig=kubeconfig, context=context, api_url=api_url,
            token=token, ca_data=ca_data, display_name=display_name, region=region,
            labels=labels, verify_tls=verify_tls, environment=environment, probe_now=probe_now,
        )  # fmt: skip
    name = _clean_name(name)
    environment = _clean_environment(environment)
    labels = _clean_labels(labels)
    credentials = resolve_credentials(
        kubeconfig=kubeconfig, context=context, api_url=api_url, token=token, ca_data=ca_data
    )
    field = "kubeconfig" if kubeconfig else "api_url"
    version = verify_credentials(credentials, verify_tls=verify_tls, field=field)
    try:
        cluster = _save_new_cluster(
            actor, name=name, display_name=display_name, environment=environment, region=region,
            labels=labels, credentials=credentials, verify_tls=verify_tls, version=version,
            probe_now=probe_now,
        )  # fmt: skip
    except IntegrityError as exc:  # the same name registered concurrently
        raise ValidationError(
            {"name": [_("A cluster named %(name)s is already registered.") % {"name": name}]}
        ) from exc
    if probe_now:
        do_probe_cluster(cluster)
    return cluster


def _save_new_cluster(
    actor, *, name, display_name, environment, region, labels, credentials, verify_tls, version,
    probe_now,
) -> Cluster:  # fmt: skip
    with transaction.atomic():
        cluster = Cluster(
            name=name, display_name=(display_name or "").strip()[:100], environment=environment,
            region=(region or "").strip()[:63], labels=labels, api_url=credentials.server,
            verify_tls=verify_tls, kubernetes_version=version, created_by=_created_by(actor),
        )  # fmt: skip
        cluster.set_credentials(credentials)
        cluster.save()
        defaults = environment_policy(environment)
        ClusterPolicy.objects.create(
            cluster=cluster, **{f: getattr(defaults, f) for f in POLICY_FIELDS}
        )
        record(
            actor, "cluster.register", cluster, cluster=cluster,
            changes={
                "environment": {"before": None, "after": environment},
                "api_url": {"before": None, "after": cluster.api_url},
                "verify_tls": {"before": None, "after": verify_tls},
                "context": {"before": None, "after": credentials.context},
                "credentials": {"before": None, "after": "set"},
            },
        )  # fmt: skip
        if not probe_now:
            _queue_probe(cluster)
    return cluster


def _queue_probe(cluster: Cluster) -> None:
    pk = cluster.pk

    def send():
        try:
            enqueue("workers.clusters.probe_cluster", pk, expires=120, retry=False)
        except Exception as exc:  # noqa: BLE001 - no broker (e.g. a CLI before `make run`)
            log.warning("first probe of cluster %s not queued (%s); beat will probe it", pk, exc)

    transaction.on_commit(send)


def do_update_cluster(
    cluster: Cluster,
    *,
    actor: Actor,
    display_name: str | None = None,
    region: str | None = None,
    labels: dict | None = None,
    verify_tls: bool | None = None,
    environment: str | None = None,
    kubeconfig: str | bytes | None = None,
    context: str | None = None,
    api_url: str | None = None,
    token: str | None = None,
    ca_data: str | None = None,
    probe_now: bool = False,
) -> Cluster:
    """Change a cluster's descriptive fields, environment, TLS switch or credentials.

    New credentials (or a new TLS switch) are checked against the cluster first. A new
    environment resets the cluster's policy to that environment's defaults.
    """
    _deny_unless_admin(actor, "cluster.update", cluster)
    changes_in: dict[str, Any] = {}
    if display_name is not None:
        changes_in["display_name"] = display_name.strip()[:100]
    if region is not None:
        changes_in["region"] = region.strip()[:63]
    if labels is not None:
        changes_in["labels"] = _clean_labels(labels)
    if environment is not None and environment != cluster.environment:
        changes_in["environment"] = _clean_environment(environment)
    new_verify = cluster.verify_tls if verify_tls is None else bool(verify_tls)
    credentials = None
    if kubeconfig or api_url or token:
        credentials = resolve_credentials(
            kubeconfig=kubeconfig, context=context, api_url=api_url, token=token, ca_data=ca_data
        )
    if credentials is not None or new_verify != cluster.verify_tls:
        # A new TLS switch or new credentials must still reach the cluster.
        check_creds = credentials or cluster.get_credentials()
        field = "kubeconfig" if kubeconfig else ("api_url" if credentials else "verify_tls")
        changes_in["kubernetes_version"] = verify_credentials(
            check_creds, verify_tls=new_verify, field=field
        )
    changes_in["verify_tls"] = new_verify
    with transaction.atomic():
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        fields = [*EDITABLE_FIELDS, "environment", "api_url", "kubernetes_version"]
        before = {f: getattr(locked, f) for f in fields}
        for key, value in changes_in.items():
            setattr(locked, key, value)
        update_fields = list(changes_in)
        if credentials is not None:
            locked.set_credentials(credentials)
            locked.api_url = credentials.server
            locked.credentials_version += 1
            update_fields += ["credentials_encrypted", "credentials_version", "api_url"]
        changes = diff(before, {f: getattr(locked, f) for f in fields})
        changes.pop("kubernetes_version", None)
        if credentials is not None:
            changes["credentials"] = {"before": "set", "after": "replaced"}
        if "environment" in changes:
            # Another environment, other rules (prod memory is never overcommitted): the
            # cluster starts over from the new environment's defaults.
            policy = ClusterPolicy.objects.select_for_update().get(cluster=locked)
            old_policy = policy_values(policy)
            defaults = environment_policy(locked.environment)
            for f in POLICY_FIELDS:
                setattr(policy, f, getattr(defaults, f))
            policy.version += 1
            policy.save()
            changes["policy"] = diff(old_policy, policy_values(policy))
        locked.save(update_fields=[*set(update_fields), "updated_at"])
        if changes:
            record(actor, "cluster.update", locked, cluster=locked, changes=changes)
        if credentials is not None and not probe_now:
            _queue_probe(locked)
    if credentials is not None and probe_now:
        do_probe_cluster(locked)
    return locked


def _set_flag(cluster: Cluster, field: str, value: bool, action: str, *, actor: Actor) -> Cluster:
    _deny_unless_admin(actor, action, cluster)
    with transaction.atomic():
        changed = (
            Cluster.objects.filter(pk=cluster.pk)
            .exclude(**{field: value})
            .update(**{field: value, "updated_at": timezone.now()})
        )
        cluster.refresh_from_db()
        if changed:  # a repeated click changes nothing and records nothing
            record(
                actor, action, cluster, cluster=cluster,
                changes={field: {"before": not value, "after": value}},
            )  # fmt: skip
            if field == "enabled" and value:
                _queue_probe(cluster)
    return cluster


def do_disable_cluster(cluster: Cluster, *, actor: Actor) -> Cluster:
    """Stop probing and placing on a cluster (nothing in the cluster is touched)."""
    return _set_flag(cluster, "enabled", False, "cluster.disable", actor=actor)


def do_enable_cluster(cluster: Cluster, *, actor: Actor) -> Cluster:
    return _set_flag(cluster, "enabled", True, "cluster.enable", actor=actor)


def do_cordon_cluster(cluster: Cluster, *, actor: Actor) -> Cluster:
    """No new spaces on this cluster; existing ones keep running."""
    return _set_flag(cluster, "cordoned", True, "cluster.cordon", actor=actor)


def do_uncordon_cluster(cluster: Cluster, *, actor: Actor) -> Cluster:
    return _set_flag(cluster, "cordoned", False, "cluster.uncordon", actor=actor)


# --- policy --------------------------------------------------------------------------------
def do_update_cluster_policy(cluster: Cluster, values: dict, *, actor: Actor) -> ClusterPolicy:
    """Replace the policy of a cluster (missing keys keep their value); audit before/after."""
    _deny_unless_admin(actor, "cluster.policy.update", cluster)
    with transaction.atomic():
        policy = ClusterPolicy.objects.select_for_update().get(cluster=cluster)
        before = policy_values(policy)
        clean = clean_policy({**before, **values}, cluster.environment)
        for key, value in clean.items():
            setattr(policy, key, value)
        after = policy_values(policy)
        changes = diff(before, after)
        if changes:
            policy.version += 1
            policy.save()
            changes["version"] = {"before": policy.version - 1, "after": policy.version}
            record(actor, "cluster.policy.update", cluster, cluster=cluster, changes=changes)
    return policy


def do_update_environment_policy(
    environment: str, values: dict, *, actor: Actor
) -> EnvironmentPolicy:
    """Change the defaults new clusters of an environment start with."""
    _deny_unless_admin(
        actor,
        "cluster.environment_policy.update",
        ("clusters.environmentpolicy", environment, environment),
    )
    environment = _clean_environment(environment)
    with transaction.atomic():
        policy = environment_policy(environment)
        policy = EnvironmentPolicy.objects.select_for_update().get(pk=policy.pk)
        before = policy_values(policy)
        for key, value in clean_policy({**before, **values}, environment).items():
            setattr(policy, key, value)
        changes = diff(before, policy_values(policy))
        if changes:
            policy.save()
            record(actor, "cluster.environment_policy.update", policy, changes=changes)
    return policy


def do_update_log_output(environment: str, output, *, actor: Actor) -> EnvironmentPolicy:
    """Point the log collection of an environment's clusters at an output (Elasticsearch,
    Logstash or Kafka hosts, index pattern); {} turns it off. Each enabled cluster of the
    environment gets a full reconcile pass on commit, which rewrites its Filebeat config."""
    from apps.workloads.rendering.collection import clean_output

    _deny_unless_admin(
        actor, "cluster.log_output.update", ("clusters.environmentpolicy", environment, environment)
    )
    environment = _clean_environment(environment)
    cleaned, errors = clean_output(output)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = environment_policy(environment)
        policy = EnvironmentPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.log_output == cleaned:
            return policy
        changes = {"log_output": {"before": policy.log_output, "after": cleaned}}
        policy.log_output = cleaned
        policy.save(update_fields=["log_output", "updated_at"])
        record(actor, "cluster.log_output.update", policy, changes=changes)
        for pk in Cluster.objects.filter(environment=environment, enabled=True).values_list(
            "pk", flat=True
        ):
            enqueue_on_commit("workers.reconcile.reconcile_cluster", pk, trigger="change")
    return policy


# --- health --------------------------------------------------------------------------------
def _sum(values, parse) -> int:
    total = 0
    for value in values:
        try:
            total += parse(value)
        except ValueError:
            continue
    return total


def capacity_totals(nodes: list[dict], pods: list[dict]) -> dict:
    """Cluster totals from node and pod facts: allocatable counts ready, schedulable nodes."""
    usable = [n for n in nodes if n.get("ready") and not n.get("unschedulable")]

    def node_sum(group: str, key: str, parse) -> int:
        members = nodes if group == "capacity" else usable
        return _sum((n.get(group, {}).get(key) for n in members), parse)

    def pod_sum(kind: str, key: str, parse) -> int:
        return _sum((v for p in pods for v in p.get(kind, {}).get(key, [])), parse)

    return {
        "node_count": len(nodes),
        "cpu_capacity_m": node_sum("capacity", "cpu", cpu_millicores),
        "cpu_allocatable_m": node_sum("allocatable", "cpu", cpu_millicores),
        "memory_capacity": node_sum("capacity", "memory", memory_bytes),
        "memory_allocatable": node_sum("allocatable", "memory", memory_bytes),
        "pods_capacity": node_sum("capacity", "pods", int),
        "pods_allocatable": node_sum("allocatable", "pods", int),
        "cpu_requested_m": pod_sum("requests", "cpu", cpu_millicores),
        "cpu_limits_m": pod_sum("limits", "cpu", cpu_millicores),
        "memory_requested": pod_sum("requests", "memory", memory_bytes),
        "memory_limits": pod_sum("limits", "memory", memory_bytes),
        "pods_count": len(pods),
    }


def probe_settings() -> tuple[int, int]:
    """(slow probe threshold in ms, failed probes before unreachable)."""
    return (
        settings.K2_CLUSTER_PROBE_SLOW_MS,
        max(1, settings.K2_CLUSTER_UNREACHABLE_AFTER),
    )


def do_probe_cluster(cluster: Cluster, *, actor: Actor = PROBE_ACTOR) -> ProbeRecord:
    """Probe one cluster through the gateway and update its health, version and capacity.

    1. Read version, nodes and pods (outside any transaction: network calls hold no locks).
    2. Decide: version unreadable → a failure (unreachable after N in a row, degraded
       before); slow, retried or partial → degraded; otherwise ready.
    3. In one transaction: lock the row, write facts and health, add a probe record,
       audit a health change.
    """
    slow_ms, unreachable_after = probe_settings()
    stats = gateway.CallStats()
    started = time.monotonic()
    facts, error = None, ""
    try:
        facts = gateway.read_facts(cluster, stats=stats)
    except gateway.GatewayError as exc:
        error = str(exc)
    duration_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    with transaction.atomic():
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        before = locked.health
        update: dict[str, Any] = {"last_probe_at": now}
        if facts is None:
            failures = locked.consecutive_failures + 1
            health = Health.UNREACHABLE if failures >= unreachable_after else Health.DEGRADED
            update.update(consecutive_failures=failures, last_error=error)
        else:
            problems = list(facts.errors)
            if stats.retried_errors:
                problems.append(
                    _("%(n)d call(s) failed and were retried: %(e)s")
                    % {"n": stats.retried_errors, "e": stats.errors[-1] if stats.errors else ""}
                )
            if duration_ms > slow_ms:
                problems.append(
                    _("The probe took %(ms)d ms (slower than %(limit)d ms).")
                    % {"ms": duration_ms, "limit": slow_ms}
                )
            health = Health.DEGRADED if problems else Health.READY
            error = " ".join(problems)
            update.update(
                consecutive_failures=0, last_error=error, last_probe_ok_at=now,
                kubernetes_version=facts.version[:64],
            )  # fmt: skip
            if not facts.errors:  # partial facts would make capacity look wrong
                update.update(nodes=facts.nodes, **capacity_totals(facts.nodes, facts.pods))
        update["health"] = health
        if health != before:
            update["health_changed_at"] = now
        for key, value in update.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*update, "updated_at"])
        probe = ProbeRecord.objects.create(
            cluster=locked, at=now, ok=facts is not None, health=health, duration_ms=duration_ms,
            retried_errors=stats.retried_errors, node_count=len(facts.nodes) if facts else 0,
            error=error[:2000],
        )  # fmt: skip
        if health != before:
            record(
                actor, "cluster.health.change", locked, cluster=locked,
                changes={"health": {"before": before, "after": health}},
                reason=error[:2000],
            )  # fmt: skip
        stale = ProbeRecord.objects.filter(cluster=locked).order_by("-at", "-id")[
            MAX_PROBE_RECORDS:
        ]
        stale_ids = list(stale.values_list("id", flat=True))
        if stale_ids:
            ProbeRecord.objects.filter(id__in=stale_ids).delete()
    if health != Health.UNREACHABLE and facts is not None:
        gateway.close_breaker(locked)
    cluster.__dict__.update({k: getattr(locked, k) for k in update})
    return probe


def do_probe_cluster_now(cluster: Cluster, *, actor: Actor) -> ProbeRecord:
    """An admin's "probe now": same probe, permission checked."""
    _deny_unless_admin(actor, "cluster.probe", cluster)
    return do_probe_cluster(cluster)


# --- keys ----------------------------------------------------------------------------------
def do_rotate_cluster_credentials(*, actor: Actor) -> int:
    """Re-encrypt every cluster's credentials with the newest K2_ENCRYPTION_KEYS key."""
    _deny_unless_admin(actor, "cluster.credentials.rotate")
    count = 0
    with transaction.atomic():
        for cluster in Cluster.objects.select_for_update().order_by("pk"):
            cluster.credentials_encrypted = crypto.rotate(cluster.credentials_encrypted)
            cluster.save(update_fields=["credentials_encrypted"])
            count += 1
        record(
            actor,
            "cluster.credentials.rotate",
            None,
            changes={"clusters": {"before": None, "after": count}},
        )
    return count


def overcommit(policy) -> tuple[Decimal, Decimal]:
    return Decimal(policy.cpu_overcommit), Decimal(policy.memory_overcommit)

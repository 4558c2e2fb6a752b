"""Plain rows for analytics tests: clusters, spaces, apps and approval requests written
straight to the database (analytics only reads them; no cluster is contacted)."""

from datetime import timedelta

from django.utils import timezone

from apps.analytics import buffer


def make_cluster(name: str, environment: str):
    from apps.clusters.models import Cluster

    return Cluster.objects.create(
        name=name,
        environment=environment,
        api_url=f"https://{name}.example.test:6443",
        credentials_encrypted="not-used",
    )


def make_space(slug: str, environment: str, cluster, owner, **extra):
    from apps.spaces.models import Space

    fields = {
        "quota_cpu": "4",
        "quota_memory": "8Gi",
        "quota_pods": 20,
        "quota_storage": "10Gi",
        "default_cpu_limit": "500m",
        "default_memory_limit": "512Mi",
        "state": "active",
        **extra,
    }
    return Space.objects.create(
        slug=slug, environment=environment, primary_cluster=cluster, owner=owner, **fields
    )


def make_app(space, name: str, *clusters):
    from apps.workloads.models import App, AppCluster

    app = App.objects.create(space=space, name=name, kind="service")
    for cluster in clusters:
        AppCluster.objects.create(app=app, cluster=cluster)
    return app


def make_decided_request(requester, kind: str, *, hours: float, decided_at, state="approved"):
    from apps.approvals.models import ApprovalRequest

    return ApprovalRequest.objects.create(
        kind=kind,
        requester=requester,
        reason="analytics test",
        state=state,
        created_at=decided_at - timedelta(hours=hours),
        decided_at=decided_at if state != "pending" else None,
    )


def request_event(user, feature: str, at, *, space: str = "", status: int = 200, ms: float = 10):
    """The queued form of one request, as the middleware would push it."""
    return {
        "kind": "request",
        "at": at.isoformat(),
        "user": getattr(user, "pk", user),
        "feature": feature,
        "route": f"test:{feature}",
        "source": "portal",
        "method": "GET",
        "status": status,
        "latency_ms": ms,
        "space": space,
        "ip": "10.0.0.0",
    }


def domain_event(name: str, at, *, environment: str, user=None, space: str = ""):
    return {
        "kind": "domain",
        "at": at.isoformat(),
        "user": getattr(user, "pk", user),
        "feature": name,
        "source": "system",
        "space": space,
        "environment": environment,
        "props": {},
    }


def push_all(events) -> None:
    for event in events:
        assert buffer.push(event)


def at(day, hour: int = 10):
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + (
        timedelta(hours=hour)
    )

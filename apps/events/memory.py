"""Memory as people should read it: usage - cache per container (working set overstates
apps with a large page cache, Java ones above all). Parsed from the cluster's Prometheus
text (pure `parse_prometheus`), summed per pod, sampled per app every minute."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

SERIES = {
    "container_memory_usage_bytes": "usage",
    "container_memory_cache": "cache",
    "container_memory_working_set_bytes": "working_set",
    "container_spec_memory_limit_bytes": "limit",
}
_LINE = re.compile(r"^(\w+)\{([^}]*)\}\s+([0-9.eE+-]+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text: str, namespace: str | None = None) -> dict:
    """{(namespace, pod, container): {usage, cache, working_set, limit, honest}}."""
    out: dict[tuple, dict] = defaultdict(dict)
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or match.group(1) not in SERIES:
            continue
        labels = dict(_LABEL.findall(match.group(2)))
        if namespace is not None and labels.get("namespace") != namespace:
            continue
        key = (labels.get("namespace", ""), labels.get("pod", ""), labels.get("container", ""))
        out[key][SERIES[match.group(1)]] = int(float(match.group(3)))
    for figures in out.values():
        figures["honest"] = max(0, figures.get("usage", 0) - figures.get("cache", 0))
    return dict(out)


def app_memory(app) -> dict:
    """Per pod (and container) of `app` on each of its clusters, and the totals."""
    from apps.events.cluster_ops import read_metrics_text

    namespace = app.space.namespace
    pods: list[dict] = []
    totals = {"usage": 0, "cache": 0, "working_set": 0, "limit": 0, "honest": 0}
    errors = []
    for placement in app.placements.select_related("cluster"):
        try:
            text = read_metrics_text(placement.cluster)
        except Exception as exc:  # noqa: BLE001 - shown in words on the page
            errors.append(f"{placement.cluster.name}: {exc}")
            continue
        by_pod: dict[str, dict] = {}
        for (_, pod, container), f in sorted(parse_prometheus(text, namespace).items()):
            if not (pod == app.name or pod.startswith(app.name + "-")):
                continue
            entry = by_pod.setdefault(pod, {"pod": pod, "cluster": placement.cluster.name,
                                            "containers": [], **dict.fromkeys(totals, 0)})  # fmt: skip
            entry["containers"].append({"name": container, **f})
            for key in totals:
                entry[key] += f.get(key, 0)
                totals[key] += f.get(key, 0)
        pods.extend(by_pod.values())
    return {"pods": pods, "totals": totals, "errors": errors}


def sample_all() -> int:
    """One MemorySample per running app (the last hour's chart); old samples pruned."""
    from apps.events.models import MemorySample
    from apps.workloads.models import App

    now = timezone.now()
    rows = []
    for app in App.objects.select_related("space").filter(placements__isnull=False).distinct():
        figures = app_memory(app)
        if not figures["pods"]:
            continue
        t = figures["totals"]
        rows.append(MemorySample(app=app, at=now, usage=t["usage"], cache=t["cache"],
                                 working_set=t["working_set"], limit=t["limit"]))  # fmt: skip
    MemorySample.objects.bulk_create(rows)
    MemorySample.objects.filter(
        at__lt=now - timedelta(days=settings.K2_EVENTS_MEMORY_DAYS)
    ).delete()
    return len(rows)

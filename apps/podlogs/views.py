"""The portal's Logs page of an app: the options form (a GET, so a reading can be
bookmarked and shared) and the live view that apps/podlogs/consumers.py feeds."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from apps.podlogs.access import decide
from apps.podlogs.options import LogOptions, OptionError, parse
from apps.workloads.status import read_status

SINCE_CHOICES = ("", "5m", "15m", "1h", "6h", "24h", "7d")
TAIL_CHOICES = (50, 200, 1000, 5000)


@login_required
def logs(request, space: str, app: str):
    decision = decide(request.user, space, app)
    if not decision.allowed:
        raise Http404(decision.reason)
    error = None
    try:
        options = parse(request.GET, strict=False)
    except OptionError as exc:
        options, error = LogOptions(tail=settings.K2_LOGS_DEFAULT_TAIL), exc
    status = read_status(decision.app)
    pods = [p for p in status["pods"] if not options.cluster or p["cluster"] == options.cluster]
    containers = sorted({c for p in pods if not options.pod or p["name"] == options.pod
                         for c in p["containers"]})  # fmt: skip
    query = request.GET.urlencode()
    context = {
        "app": decision.app, "space": decision.app.space, "options": options, "error": error,
        "pods": pods, "containers": containers, "clusters": [c.name for c in decision.clusters],
        "since_choices": SINCE_CHOICES, "tail_choices": TAIL_CHOICES,
        "since": request.GET.get("since", ""),
        "ws_path": f"/ws/logs/{space}/{app}/" + (f"?{query}" if query else ""),
        "api_url": reverse("api:app-logs", args=[space, app]) + (f"?{query}" if query else ""),
        "app_url": reverse("workloads:detail", args=[space, app]),
        "max_lines": settings.K2_LOGS_BROWSER_MAX_LINES,
    }  # fmt: skip
    return render(request, "podlogs/logs.html", context, status=400 if error else 200)

"""Portal: every cluster's IPAM at a glance, one cluster's pools, blocks and runs (with
"scan now", "release now" behind a confirmation listing what will be released, and the
policy form), and one run's report. Platform admins only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.clusters.models import Cluster
from apps.core.decorators import user_passes_test_or_403
from apps.core.forms import add_service_errors, error_text
from apps.ipam import selectors, services
from apps.ipam.choices import CLASS_LABELS, Mode
from apps.ipam.forms import PolicyForm
from apps.ipam.models import IpamRun
from apps.ipam.permissions import can_manage_ipam, can_view_ipam

admins_only = user_passes_test_or_403(can_view_ipam)
RUNS_SHOWN = 20


def _pools(run: IpamRun | None) -> list[dict]:
    """The pools of a run's report with percentages for the bars."""
    pools = []
    for pool in ((run.report or {}).get("pools") or []) if run else []:
        allocated, size = pool.get("allocated", 0), pool.get("size", 0) or 1
        blocks = []
        for b in pool.get("blocks") or []:
            bsize = b.get("size") or 1
            blocks.append({**b, "used_pct": round(100 * b["allocated"] / bsize, 1),
                           "leaked_pct": round(100 * b["leaked"] / bsize, 1)})  # fmt: skip
        pools.append({**pool, "blocks": blocks,
                      "used_pct": round(100 * allocated / size, 2),
                      "leaked_pct": round(100 * pool.get("leaked_share", 0), 1)})  # fmt: skip
    return pools


@login_required
@admins_only
def index(request):
    rows = []
    for cluster in Cluster.objects.order_by("environment", "name"):
        last = selectors.last_scan(cluster)
        rows.append({"cluster": cluster, "policy": services.policy_for(cluster), "run": last,
                     "pools": _pools(last)})  # fmt: skip
    return render(request, "ipam/index.html", {"rows": rows})


@login_required
@admins_only
def cluster_page(request, name: str):
    cluster = selectors.get_cluster_or_404(name)
    policy = services.policy_for(cluster)
    form = PolicyForm.for_policy(policy, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_policy(
                cluster, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("IPAM policy saved."))
            return redirect(reverse("ipam:cluster", args=[cluster.name]))
    last = selectors.last_scan(cluster)
    return render(request, "ipam/cluster.html", {
        "cluster": cluster, "policy": policy, "form": form, "last": last, "pools": _pools(last),
        "runs": list(selectors.runs_of(cluster)[:RUNS_SHOWN]), "class_labels": CLASS_LABELS,
        "can_manage": can_manage_ipam(request.user), "release_allowed": policy.mode != Mode.OFF,
    })  # fmt: skip


@login_required
@admins_only
@require_POST
def scan_now(request, name: str):
    cluster = selectors.get_cluster_or_404(name)
    try:
        operation = services.do_scan_now(cluster, actor=Actor.from_request(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Scan started (operation #%(id)s).") % {"id": operation.pk})
    return redirect(reverse("ipam:cluster", args=[cluster.name]))


@login_required
@admins_only
def release_now(request, name: str):
    """GET: the confirmation listing what will be released; POST: start the release."""
    cluster = selectors.get_cluster_or_404(name)
    if request.method == "POST":
        try:
            operation = services.do_release_now(cluster, actor=Actor.from_request(request))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect(reverse("ipam:cluster", args=[cluster.name]))
        messages.success(request, _("Release started (operation #%(id)s).") % {"id": operation.pk})
        return redirect(reverse("operations:detail", args=[operation.pk]))
    policy = services.policy_for(cluster)
    return render(request, "ipam/release_confirm.html", {
        "cluster": cluster, "policy": policy, "candidates": services.release_preview(cluster),
        "release_allowed": policy.mode != Mode.OFF,
    })  # fmt: skip


@login_required
@admins_only
def run_page(request, pk: int):
    run = get_object_or_404(IpamRun.objects.select_related("cluster", "operation"), pk=pk)
    report = run.report or {}
    return render(request, "ipam/run.html", {
        "run": run, "report": report, "counts": report.get("counts") or {}, "pools": _pools(run),
        "class_labels": CLASS_LABELS,
    })  # fmt: skip

"""The reconciler's admin page: per cluster the last pass, recent passes, drift history,
and a "reconcile now" button. Platform admins only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.clusters.models import Cluster
from apps.clusters.services import do_update_log_output, environment_policy
from apps.core.decorators import user_passes_test_or_403
from apps.reconciler import selectors, services
from apps.reconciler.permissions import can_view_reconciler
from apps.workloads.models import App

admin_only = user_passes_test_or_403(can_view_reconciler)


@login_required
@admin_only
def index(request):
    app = None
    drift = selectors.drift_history()
    space_slug, app_name = request.GET.get("space", ""), request.GET.get("app", "")
    if space_slug and app_name:
        app = App.objects.filter(space__slug=space_slug, name=app_name).first()
        drift = selectors.drift_history(app=app) if app else []
    return render(request, "reconciler/index.html", {
        "overview": selectors.cluster_overview(),
        "passes": selectors.recent_passes(limit=30),
        "drift": drift,
        "app": app,
        "space_slug": space_slug,
        "app_name": app_name,
    })  # fmt: skip


@login_required
@admin_only
@require_POST
def reconcile_now(request, name: str):
    cluster = get_object_or_404(Cluster, name=name)
    services.do_request_reconcile(cluster, actor=Actor.from_request(request))
    messages.success(request, _("A reconcile pass of %(name)s was queued.") % {"name": name})
    return redirect("reconciler:index")


@login_required
@admin_only
def log_collection(request, name: str):
    """The cluster's generated Filebeat configuration, whether the cluster's copy matches,
    and the output of its environment (editable: a change reaches its clusters' passes)."""
    cluster = get_object_or_404(Cluster, name=name)
    errors: dict = {}
    policy = environment_policy(cluster.environment)
    output = dict(policy.log_output)
    if request.method == "POST":
        hosts = [h.strip() for h in request.POST.get("hosts", "").replace(",", "\n").splitlines()]
        raw = {"type": request.POST.get("type", ""), "hosts": [h for h in hosts if h],
               "index": request.POST.get("index", "").strip(),
               "topic": request.POST.get("topic", "").strip()}  # fmt: skip
        raw = {k: v for k, v in raw.items() if v} if request.POST.get("type") else {}
        try:
            do_update_log_output(cluster.environment, raw, actor=Actor.from_request(request))
        except ValidationError as exc:
            errors = exc.message_dict
            output = raw
        else:
            messages.success(request, _("The log output of %(env)s was saved; its clusters are "
                                        "being reconciled.") % {"env": cluster.environment})  # fmt: skip
            return redirect("reconciler:log-collection", name=name)
    return render(request, "reconciler/log_collection.html", {
        "cluster": cluster, "view": selectors.log_collection(cluster), "output": output,
        "hosts": "\n".join(output.get("hosts") or []), "errors": errors,
        "output_types": ("elasticsearch", "logstash", "kafka"),
    }, status=400 if errors else 200)  # fmt: skip

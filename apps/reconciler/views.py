"""The reconciler's admin page: per cluster the last pass, recent passes, drift history,
and a "reconcile now" button. Platform admins only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.clusters.models import Cluster
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

"""Portal pages of clusters: list (admins) or summary (everyone with a role), detail,
register, edit, policy, and the switch buttons. Every write goes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.clusters import services
from apps.clusters.choices import ClusterState, Environment
from apps.clusters.forms import (
    EditClusterForm,
    PolicyForm,
    RegisterClusterForm,
    labels_text,
)
from apps.clusters.kubeconfig import KubeconfigError, context_names
from apps.clusters.models import Cluster
from apps.clusters.permissions import can_view_cluster_details, can_view_cluster_summary
from apps.clusters.quantity import human_memory, percent
from apps.clusters.selectors import clusters_visible_to, probe_history, spaces_on
from apps.core.api.throttling import portal_wait
from apps.core.decorators import user_passes_test_or_403
from apps.core.forms import add_service_errors, too_many

admin_only = user_passes_test_or_403(can_view_cluster_details)
FIELD_MAP = {"kubeconfig": "kubeconfig_file", "verify_tls": "skip_tls_verify", "api_url": None}


def capacity(cluster: Cluster) -> dict:
    """Numbers for the capacity bars: requested vs allocatable, limits vs overcommitted."""
    policy = getattr(cluster, "policy", None)
    cpu_ratio = float(policy.cpu_overcommit) if policy else 1.0
    mem_ratio = float(policy.memory_overcommit) if policy else 1.0
    cpu_alloc, mem_alloc = cluster.cpu_allocatable_m, cluster.memory_allocatable
    return {
        "cpu": {
            "requested": f"{cluster.cpu_requested_m / 1000:g}",
            "limits": f"{cluster.cpu_limits_m / 1000:g}",
            "allocatable": f"{cpu_alloc / 1000:g}",
            "overcommitted": f"{cpu_alloc * cpu_ratio / 1000:g}",
            "ratio": f"{cpu_ratio:g}",
            "requested_pct": percent(cluster.cpu_requested_m, cpu_alloc),
            "limits_pct": percent(cluster.cpu_limits_m, int(cpu_alloc * cpu_ratio)),
        },
        "memory": {
            "requested": human_memory(cluster.memory_requested),
            "limits": human_memory(cluster.memory_limits),
            "allocatable": human_memory(mem_alloc),
            "overcommitted": human_memory(int(mem_alloc * mem_ratio)),
            "ratio": f"{mem_ratio:g}",
            "requested_pct": percent(cluster.memory_requested, mem_alloc),
            "limits_pct": percent(cluster.memory_limits, int(mem_alloc * mem_ratio)),
        },
        "pods": {
            "count": cluster.pods_count,
            "allocatable": cluster.pods_allocatable,
            "pct": percent(cluster.pods_count, cluster.pods_allocatable),
        },
    }


def _row(cluster: Cluster) -> dict:
    return {
        "cluster": cluster,
        "state": cluster.state,
        "state_label": ClusterState(cluster.state).label,
        "badge": ClusterState(cluster.state).colour,
        "capacity": capacity(cluster),
    }


def _cluster_or_404(name: str) -> Cluster:
    return get_object_or_404(Cluster.objects.select_related("policy"), name=name)


@login_required
def index(request):
    """Admins: every cluster with actions. Others with a role: where spaces can go."""
    user = request.user
    if not can_view_cluster_summary(user):
        raise PermissionDenied
    rows = [_row(c) for c in clusters_visible_to(user).order_by("environment", "name")]
    if can_view_cluster_details(user):
        return render(request, "clusters/list.html", {"rows": rows})
    return render(request, "clusters/summary.html", {"rows": rows})


@login_required
@admin_only
def register(request):
    form = RegisterClusterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        wait = portal_wait(request, "cluster-register")
        if wait is not None:
            messages.error(request, too_many(wait))
            return render(request, "clusters/register.html", {"form": form}, status=429)
        data = form.cleaned_data
        try:
            cluster = services.do_register_cluster(
                name=data["name"], environment=data["environment"], kubeconfig=form.kubeconfig(),
                context=data["context"] or None, display_name=data["display_name"],
                region=data["region"], labels=data["labels"],
                verify_tls=not data["skip_tls_verify"], actor=Actor.from_request(request),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc, FIELD_MAP)
        else:
            messages.success(
                request,
                _("Cluster %(name)s is registered; its first probe runs now.")
                % {"name": cluster.name},
            )
            return redirect("clusters:detail", name=cluster.name)
    return render(request, "clusters/register.html", {"form": form})


@login_required
@admin_only
@require_POST
def kubeconfig_contexts(request):
    """HTMX: the context options of an uploaded or pasted kubeconfig."""
    upload = request.FILES.get("kubeconfig_file")
    text = upload.read() if upload else request.POST.get("kubeconfig_text", "")
    contexts, current, error = [], "", ""
    if text:
        try:
            contexts, current = context_names(text)
        except KubeconfigError as exc:
            error = str(exc)
    return render(
        request,
        "clusters/_contexts.html",
        {"contexts": contexts, "current": current, "error": error},
    )


SPACES_SHOWN = 50


@login_required
def detail(request, name: str):
    if not can_view_cluster_details(request.user):
        if can_view_cluster_summary(request.user):
            raise PermissionDenied
        raise Http404
    cluster = _cluster_or_404(name)
    context = {
        **_row(cluster),
        "policy_form": PolicyForm.for_policy(cluster.policy),
        "probes": probe_history(cluster, 30),
        "environment_label": Environment(cluster.environment).label,
        "placements": spaces_on(cluster, SPACES_SHOWN),
        "placement_count": cluster.space_placements.exclude(space__state="deleted").count(),
    }
    return render(request, "clusters/detail.html", context)


@login_required
@admin_only
def state_badge(request, name: str):
    """HTMX: the state badge, polled while a cluster waits for its first probe."""
    return render(request, "clusters/_state.html", _row(_cluster_or_404(name)))


@login_required
@admin_only
def edit(request, name: str):
    cluster = _cluster_or_404(name)
    initial = {
        "display_name": cluster.display_name, "region": cluster.region,
        "labels": labels_text(cluster.labels), "skip_tls_verify": not cluster.verify_tls,
    }  # fmt: skip
    form = EditClusterForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_update_cluster(
                cluster, display_name=data["display_name"], region=data["region"],
                labels=data["labels"], verify_tls=not data["skip_tls_verify"],
                kubeconfig=form.kubeconfig() or None, context=data["context"] or None,
                actor=Actor.from_request(request),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc, FIELD_MAP)
        else:
            messages.success(request, _("Cluster %(name)s is updated.") % {"name": cluster.name})
            return redirect("clusters:detail", name=cluster.name)
    return render(request, "clusters/edit.html", {"form": form, "cluster": cluster})


@login_required
@admin_only
@require_POST
def policy(request, name: str):
    cluster = _cluster_or_404(name)
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            services.do_update_cluster_policy(
                cluster, form.cleaned_data, actor=Actor.from_request(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc, FIELD_MAP)
        else:
            messages.success(
                request, _("The policy of %(name)s is saved.") % {"name": cluster.name}
            )
            return redirect("clusters:detail", name=cluster.name)
    context = {
        **_row(cluster),
        "policy_form": form,
        "probes": probe_history(cluster, 30),
        "environment_label": Environment(cluster.environment).label,
    }
    return render(request, "clusters/detail.html", context, status=400)


SWITCHES = {
    "disable": (services.do_disable_cluster, _("Cluster %(name)s is disabled.")),
    "enable": (services.do_enable_cluster, _("Cluster %(name)s is enabled.")),
    "cordon": (services.do_cordon_cluster, _("Cluster %(name)s is cordoned: no new spaces.")),
    "uncordon": (services.do_uncordon_cluster, _("Cluster %(name)s takes new spaces again.")),
    "probe": (services.do_probe_cluster_now, _("Cluster %(name)s was probed.")),
}


@login_required
@admin_only
@require_POST
def switch(request, name: str, verb: str):
    if verb not in SWITCHES:
        raise Http404
    cluster = _cluster_or_404(name)
    service, message = SWITCHES[verb]
    service(cluster, actor=Actor.from_request(request))
    messages.success(request, message % {"name": cluster.name})
    return redirect("clusters:detail", name=cluster.name)


@login_required
@admin_only
def environment_defaults(request, environment: str | None = None):
    """The policies new clusters of each environment start with (GET all, POST one)."""
    forms = {
        env: PolicyForm.for_policy(services.environment_policy(env)) for env in Environment.values
    }
    status = 200
    if request.method == "POST":
        if environment not in Environment.values:
            raise Http404
        form = PolicyForm(request.POST, prefix=None)
        forms[environment] = form
        if form.is_valid():
            try:
                services.do_update_environment_policy(
                    environment, form.cleaned_data, actor=Actor.from_request(request)
                )
            except ValidationError as exc:
                add_service_errors(form, exc, FIELD_MAP)
            else:
                messages.success(
                    request,
                    _(
                        "Defaults for %(env)s are saved; clusters registered from now on start with them."
                    )
                    % {"env": Environment(environment).label},
                )
                return redirect("clusters:environments")
        status = 400
    sections = [{"environment": env, "label": Environment(env).label, "form": forms[env]}
                for env in Environment.values]  # fmt: skip
    return render(request, "clusters/environments.html", {"sections": sections}, status=status)

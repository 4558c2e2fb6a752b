"""Portal pages of apps: the list (all, or one space's), create/edit, the detail page with
its tabs (overview, pods, events, revisions with diff, YAML), the live status fragment
polled by HTMX, and the small POST actions. Every change goes through services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.core.forms import add_service_errors, error_text
from apps.spaces.selectors import get_space_or_404, spaces_visible_to
from apps.terminal.access import SHELLS, terminal_clusters
from apps.workloads import permissions, selectors, services
from apps.workloads.choices import TRANSIENT_STATUSES
from apps.workloads.forms import (
    AdoptForm,
    AppFilterForm,
    AppForm,
    CanaryForm,
    CloneForm,
    RollbackForm,
    ScaleForm,
    WeightForm,
)
from apps.workloads.status import read_status

PAGE_SIZE = 25
TABS = ("overview", "pods", "events", "revisions", "yaml")
# Service error keys that have no form field of the same name.
FIELD_ALIASES = {
    "config_files": "config_1_name",
    "liveness": "liveness_type",
    "readiness": "readiness_type",
    "java": "java_heap_percent",
    "storage_class": "storage_size",
    "ingress": "ingress_host",
}


def _space_clusters(space) -> list[str]:
    names = [space.primary_cluster.name]
    for placement in space.placements.select_related("cluster"):
        if placement.cluster.name not in names:
            names.append(placement.cluster.name)
    return names


@login_required
def index(request, space_slug: str | None = None):
    space = get_space_or_404(request.user, space_slug) if space_slug else None
    form = AppFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    apps = selectors.app_list_for(
        request.user, space=space, query=data.get("q", ""), kind=data.get("kind", ""),
        status=data.get("status", ""),
    )  # fmt: skip
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    writable = [
        s for s in spaces_visible_to(request.user).filter(state__in=services.WRITABLE_SPACE_STATES)[:50]
        if permissions.can_change_apps(request.user, s)
    ]  # fmt: skip
    return render(
        request,
        "workloads/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "space": space,
         "may_create": permissions.can_change_apps(request.user, space) if space else bool(writable),
         "writable_spaces": writable},
    )  # fmt: skip


@login_required
def create(request, space_slug: str):
    space = get_space_or_404(request.user, space_slug)
    if not permissions.can_change_apps(request.user, space):
        raise PermissionDenied(_("Only developers, admins and owners of the space create apps."))
    clusters = _space_clusters(space)
    form = AppForm(request.POST or None, clusters=clusters)
    if request.method == "POST" and form.is_valid():
        try:
            app = services.do_create_app(
                space, name=form.cleaned_data["name"], spec=form.to_spec(),
                replicas=form.cleaned_data["replicas"], placement=form.placement() or None,
                message=form.cleaned_data.get("message") or "", actor=Actor.from_request(request),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc, FIELD_ALIASES)
        else:
            messages.success(
                request, _("App %(name)s created; it is rolling out now.") % {"name": app.name}
            )
            return redirect("workloads:detail", space.slug, app.name)
    return render(request, "workloads/form.html", {"form": form, "space": space, "app": None})


@login_required
def edit(request, space_slug: str, name: str):
    app = selectors.get_app_or_404(request.user, space_slug, name)
    if not permissions.can_change_apps(request.user, app.space):
        raise PermissionDenied(_("Only developers, admins and owners of the space change apps."))
    initial = AppForm.initial_from(app)
    form = AppForm(
        request.POST or None, initial=initial, clusters=_space_clusters(app.space), editing=True
    )
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request)
        try:
            revision = services.do_edit_app(
                app,
                spec=form.to_spec(),
                message=form.cleaned_data.get("message") or "",
                actor=actor,
            )
            placement = form.placement()
            if placement:
                services.do_set_placement(app, placement, actor=actor)
        except ValidationError as exc:
            add_service_errors(form, exc, FIELD_ALIASES)
        else:
            messages.success(request, _("Saved as revision %(n)d.") % {"n": revision.number})
            return redirect("workloads:detail", app.space.slug, app.name)
    return render(request, "workloads/form.html", {"form": form, "space": app.space, "app": app})


@login_required
@require_POST
def adopt(request, space_slug: str):
    """Import an existing Deployment of the space's namespace as an app."""
    space = get_space_or_404(request.user, space_slug)
    form = AdoptForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(dict(form.errors.items()))
        app = services.do_adopt_deployment(
            space,
            deployment=form.cleaned_data["deployment"],
            name=form.cleaned_data.get("name") or None,
            actor=Actor.from_request(request),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("workloads:space", space.slug)
    messages.success(request, _("Deployment adopted as the app %(name)s.") % {"name": app.name})
    return redirect("workloads:detail", space.slug, app.name)


@login_required
@require_POST
def validate(request, space_slug: str):
    """Live inline validation: the error (if any) of one field of the app form."""
    space = get_space_or_404(request.user, space_slug)
    field = request.POST.get("_field", "")
    form = AppForm(request.POST, clusters=_space_clusters(space))
    if field not in form.fields:
        return HttpResponse("")
    form.is_valid()
    return render(
        request,
        "includes/field_errors.html",
        {"errors": form.errors.get(field, []), "field": field},
    )


@login_required
def detail(request, space_slug: str, name: str):
    app = selectors.get_app_or_404(request.user, space_slug, name)
    tab = request.GET.get("tab", "overview")
    tab = tab if tab in TABS else "overview"
    context = {
        "app": app, "space": app.space, "tab": tab, "spec": app.revision.spec if app.revision else {},
        "can": permissions.allowed_actions(request.user, app),
        "log_collection_namespace": settings.K2_LOG_COLLECTION_NAMESPACE,
        "scale_form": ScaleForm(initial={"replicas": app.replicas}),
        "canary_form": CanaryForm(initial={"image": app.revision.spec.get("image", "") if app.revision else ""}),
        "clone_form": CloneForm(initial={"name": f"{app.name}-copy"[:40], "target_space": app.space.slug}),
        "placements": app.placements.select_related("cluster"),
    }  # fmt: skip
    if tab == "revisions":
        context["revisions"] = selectors.revisions_of(app)[:50]
        old, new = request.GET.get("from"), request.GET.get("to")
        if old:
            a = selectors.get_revision_or_404(app, old)
            b = selectors.get_revision_or_404(app, new or app.revision.number)
            context["diff"] = {
                "from": a.number,
                "to": b.number,
                "text": selectors.revision_diff(a, b),
            }
    if tab == "yaml":
        context["yaml"] = selectors.export_yaml(app)
    return render(request, "workloads/detail.html", context)


@login_required
def status_fragment(request, space_slug: str, name: str):
    """The live part of the detail page (HTMX polls it every few seconds)."""
    app = selectors.get_app_or_404(request.user, space_slug, name)
    part = request.GET.get("part", "overview")
    status = read_status(app)
    context = {"app": app, "status": status, "part": part,
               "polling": status["phase"] in TRANSIENT_STATUSES or app.status in TRANSIENT_STATUSES}  # fmt: skip
    if part == "pods":
        context["terminal_clusters"] = terminal_clusters(request.user, app)
        context["terminal_shells"] = list(SHELLS)
    return render(request, "workloads/_status.html", context)


@login_required
def export(request, space_slug: str, name: str):
    app = selectors.get_app_or_404(request.user, space_slug, name)
    response = HttpResponse(
        selectors.export_yaml(app), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{app.space.slug}-{app.name}.yaml"'
    return response


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


# The small POST actions of the detail page, one function per verb; each calls one service
# and returns the message to show (or a response of its own). Errors become messages.


def _scale(request, app, actor):
    form = ScaleForm(request.POST)
    if not form.is_valid():
        raise ValidationError({"replicas": form.errors.get("replicas", [])})
    services.do_scale_app(app, form.cleaned_data["replicas"], actor=actor)
    return _("Scaling to %(n)d replicas.") % {"n": form.cleaned_data["replicas"]}


def _pause(request, app, actor):
    services.do_pause_app(app, actor=actor)
    return _("Paused.")


def _resume(request, app, actor):
    services.do_resume_app(app, actor=actor)
    return _("Resumed.")


def _restart(request, app, actor):
    services.do_restart_app(app, actor=actor)
    return _("Restarting every pod.")


def _deploy(request, app, actor):
    services.do_deploy_app(app, actor=actor)
    return _("Deploying again.")


def _retry(request, app, actor):
    services.do_retry_app(app, actor=actor)
    return _("Trying again.")


def _rollback(request, app, actor):
    form = RollbackForm(request.POST)
    number = (
        form.cleaned_data["revision"] if form.is_valid() else _int(request.POST.get("revision"))
    )
    revision = services.do_rollback_app(app, number, actor=actor)
    return _("Rolled back: revision %(n)d.") % {"n": revision.number}


def _delete(request, app, actor):
    services.do_delete_app(app, actor=actor)
    messages.success(request, _("App %(name)s is being deleted.") % {"name": app.name})
    return redirect("workloads:space", app.space.slug)


def _clone(request, app, actor):
    form = CloneForm(request.POST)
    if not form.is_valid():
        raise ValidationError({"name": form.errors.get("name", [])})
    target_space = selectors.clone_target(request.user, app, form.cleaned_data.get("target_space"))
    clone = services.do_clone_app(
        app, target_space=target_space, name=form.cleaned_data["name"], actor=actor
    )
    messages.success(
        request,
        _("Cloned as %(space)s/%(name)s.") % {"space": target_space.slug, "name": clone.name},
    )
    return redirect("workloads:detail", target_space.slug, clone.name)


def _canary(request, app, actor):
    form = CanaryForm(request.POST)
    if not form.is_valid():
        raise ValidationError(dict(form.errors.items()))
    changes = {"image": form.cleaned_data["image"]} if form.cleaned_data.get("image") else {}
    services.do_start_canary(app, spec=changes, weight=form.cleaned_data["weight"], actor=actor)
    return _("Canary started at %(w)d%%.") % {"w": form.cleaned_data["weight"]}


def _canary_weight(request, app, actor):
    form = WeightForm(request.POST)
    if not form.is_valid():
        raise ValidationError({"weight": form.errors.get("weight", [])})
    services.do_set_canary_weight(app, form.cleaned_data["weight"], actor=actor)
    return _("Canary weight set to %(w)d%%.") % {"w": form.cleaned_data["weight"]}


def _canary_promote(request, app, actor):
    services.do_promote_canary(app, actor=actor)
    return _("Canary promoted: it is the stable revision now.")


def _canary_abort(request, app, actor):
    services.do_abort_canary(app, actor=actor)
    return _("Canary removed.")


ACTIONS = {
    "scale": _scale,
    "pause": _pause,
    "resume": _resume,
    "restart": _restart,
    "deploy": _deploy,
    "retry": _retry,
    "rollback": _rollback,
    "delete": _delete,
    "clone": _clone,
    "canary": _canary,
    "canary-weight": _canary_weight,
    "canary-promote": _canary_promote,
    "canary-abort": _canary_abort,
}


@login_required
@require_POST
def action(request, space_slug: str, name: str, verb: str):
    """/apps/<space>/<app>/do/<verb>/: 404 if the app is not visible or the verb unknown;
    the verb's service decides 403; errors go back to the detail page as messages."""
    app = selectors.get_app_or_404(request.user, space_slug, name)
    run = ACTIONS.get(verb)
    if run is None:
        return HttpResponse(status=404)
    try:
        result = run(request, app, Actor.from_request(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if not isinstance(result, str):
            return result
        messages.success(request, result)
    return redirect("workloads:detail", app.space.slug, app.name)

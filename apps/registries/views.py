"""Portal: the registries (register one), one registry (health, policy, preview / run /
GC buttons, its runs), and one run's report — per repository what would be deleted and
why the rest is kept. Platform admins only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.core.decorators import user_passes_test_or_403
from apps.core.forms import add_service_errors, error_text
from apps.registries import selectors, services
from apps.registries.choices import Reason, RunMode
from apps.registries.forms import RegistryForm, SettingsForm
from apps.registries.models import Registry, RegistryRun
from apps.registries.permissions import can_manage_registries, can_view_registries

admins_only = user_passes_test_or_403(can_view_registries)
REASONS = dict(Reason.choices)


@login_required
@admins_only
def index(request):
    form = RegistryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registry = services.do_register_registry(
                actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Registry %(name)s registered in dry-run mode.") % {"name": registry.name},
            )
            return redirect(reverse("registries:detail", args=[registry.name]))
    rows = [{"registry": r, "run": selectors.runs_of(r).first()} for r in Registry.objects.all()]
    return render(request, "registries/index.html", {"rows": rows, "form": form,
                                                     "can_manage": can_manage_registries(request.user)})  # fmt: skip


@login_required
@admins_only
def detail(request, name: str):
    registry = selectors.get_registry_or_404(name)
    form = SettingsForm.for_registry(registry, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_update_registry(registry, actor=Actor.from_request(request), mode=data["mode"],
                                        gc_hour=data["gc_hour"], enabled=data["enabled"], policy=form.policy())  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Registry settings saved."))
            return redirect(reverse("registries:detail", args=[registry.name]))
    base = services.base_policy()
    return render(request, "registries/detail.html", {
        "registry": registry, "form": form, "runs": list(selectors.runs_of(registry)[:20]),
        "base": base, "can_manage": can_manage_registries(request.user),
    })  # fmt: skip


@login_required
@admins_only
@require_POST
def start(request, name: str, what: str):
    registry = selectors.get_registry_or_404(name)
    actor = Actor.from_request(request)
    try:
        if what == "gc":
            operation = services.do_start_gc(registry, actor=actor)
        else:
            operation = services.do_start_run(registry, actor=actor,
                                              mode=RunMode.DRY_RUN if what == "preview" else None)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(reverse("registries:detail", args=[registry.name]))
    messages.success(request, _("Started (operation #%(id)s).") % {"id": operation.pk})
    return redirect(reverse("registries:detail", args=[registry.name]))


@login_required
@admins_only
def run_page(request, pk: int):
    run = get_object_or_404(RegistryRun.objects.select_related("registry", "operation"), pk=pk)
    report = run.report or {}
    repositories = []
    for repo in report.get("repositories") or []:
        rows = [{**d, "why": [REASONS.get(k, k) for k in d["keep"]]} for d in repo["decisions"]]
        repositories.append({**repo, "rows": rows})
    follow_up = RegistryRun.objects.filter(preview=run).first()
    return render(request, "registries/run.html", {
        "run": run, "report": report, "repositories": repositories, "follow_up": follow_up,
    })  # fmt: skip

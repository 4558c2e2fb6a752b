"""Portal: the event center (filters, paging, counts over time), alert rules and sinks,
and the app page's memory card. Reads through selectors (scoped to the user's spaces);
changes through services."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.roles import is_platform_admin
from apps.audit.actors import Actor
from apps.core.forms import add_service_errors
from apps.events import selectors, services
from apps.events.choices import REASON_HELP
from apps.events.forms import SILENCE_HOURS, FilterForm, RuleForm, SilenceForm, SinkForm
from apps.events.memory import app_memory
from apps.events.models import AlertRule, MemorySample, Silence, Sink
from apps.events.permissions import can_manage_alerts
from apps.spaces.selectors import spaces_visible_to
from apps.workloads.selectors import get_app_or_404

PAGE_SIZE = 50


def _explain(rows):
    """Each row with the translated explanation of its reason (the code stays as is)."""
    for row in rows:
        row.help = REASON_HELP.get(row.reason, "")
    return rows


def _space_choices(user):
    return list(spaces_visible_to(user).order_by("slug").values_list("slug", flat=True))


@login_required
def center(request):
    rows, applied = selectors.filtered(request.user, request.GET)
    visible = selectors.events_visible_to(request.user)
    clusters = sorted(set(visible.order_by().values_list("cluster__name", flat=True).distinct()))
    form = FilterForm(request.GET or None, clusters=clusters, spaces=_space_choices(request.user),
                      reasons=selectors.reasons_of(visible))  # fmt: skip
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    _explain(page.object_list)
    return render(request, "events/center.html", {
        "page": page, "form": form, "applied": applied, "query": urlencode(applied),
        "chart": selectors.counts_over_time(rows),
    })  # fmt: skip


def _manageable_spaces(user):
    spaces = spaces_visible_to(user).order_by("slug")
    return [s for s in spaces if can_manage_alerts(user, s)]


@login_required
def rules(request):
    spaces = _manageable_spaces(request.user)
    sinks = list(selectors.sinks_visible_to(request.user))
    slugs = [s.slug for s in spaces]
    admin = is_platform_admin(request.user)
    rule_form = RuleForm(request.POST if request.POST.get("form") == "rule" else None,
                         spaces=slugs, sinks=sinks, allow_global=admin, initial={"space": request.GET.get("space", "")})  # fmt: skip
    sink_form = SinkForm(request.POST if request.POST.get("form") == "sink" else None,
                         spaces=slugs, allow_global=admin, initial={"space": request.GET.get("space", "")})  # fmt: skip
    actor = Actor.from_request(request)
    by_slug = {s.slug: s for s in spaces}
    if request.method == "POST":
        form = rule_form if request.POST.get("form") == "rule" else sink_form
        if form.is_valid():
            data = dict(form.cleaned_data)
            space = by_slug.get(data.pop("space") or "")
            try:
                if form is rule_form:
                    chosen = {str(s.pk): s for s in sinks}
                    data["sinks"] = [chosen[pk] for pk in data["sinks"] if pk in chosen]
                    services.do_create_rule(space=space, data=data, actor=actor)
                    messages.success(
                        request, _("Alert rule %(name)s created.") % {"name": data["name"]}
                    )
                else:
                    services.do_create_sink(space=space, actor=actor, **data)
                    messages.success(request, _("Sink %(name)s created.") % {"name": data["name"]})
                return redirect("events:rules")
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied:
                form.add_error(None, _("You may not manage alerts there."))
    return render(request, "events/rules.html", {
        "rules": selectors.with_active_silence(selectors.rules_visible_to(request.user)),
        "sinks": sinks, "silence_form": SilenceForm(),
        "rule_form": rule_form, "sink_form": sink_form,
        "can_manage": bool(spaces) or is_platform_admin(request.user),
    })  # fmt: skip


@login_required
@require_POST
def delete_rule(request, pk: int):
    rule = get_object_or_404(selectors.rules_visible_to(request.user), pk=pk)
    try:
        services.do_delete_rule(rule, actor=Actor.from_request(request))
    except PermissionDenied:
        messages.error(request, _("You may not manage this rule."))
    return redirect("events:rules")


@login_required
@require_POST
def silence_rule(request, pk: int):
    rule = get_object_or_404(selectors.rules_visible_to(request.user), pk=pk)
    form = SilenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long to silence the rule."))
        return redirect("events:rules")
    ends_at = timezone.now() + timedelta(hours=SILENCE_HOURS[form.cleaned_data["duration"]])
    try:
        services.do_silence_rule(rule, ends_at=ends_at, comment=form.cleaned_data["comment"],
                                 actor=Actor.from_request(request))  # fmt: skip
        messages.success(request, _("%(name)s is silenced until %(time)s.") % {
            "name": rule.name, "time": date_format(timezone.localtime(ends_at), "DATETIME_FORMAT")})  # fmt: skip
    except PermissionDenied:
        messages.error(request, _("You may not manage this rule."))
    return redirect("events:rules")


@login_required
@require_POST
def end_silence(request, pk: int):
    silence = get_object_or_404(
        Silence.objects.select_related("rule__space"),
        pk=pk, rule__in=selectors.rules_visible_to(request.user),
    )  # fmt: skip
    try:
        services.do_end_silence(silence, actor=Actor.from_request(request))
        messages.success(request, _("%(name)s notifies again.") % {"name": silence.rule.name})
    except PermissionDenied:
        messages.error(request, _("You may not manage this rule."))
    return redirect("events:rules")


@login_required
@require_POST
def delete_sink(request, pk: int):
    sink = get_object_or_404(
        Sink, pk=pk, pk__in=selectors.sinks_visible_to(request.user).values("pk")
    )
    try:
        services.do_delete_sink(sink, actor=Actor.from_request(request))
    except PermissionDenied:
        messages.error(request, _("You may not manage this sink."))
    return redirect("events:rules")


@login_required
def app_events(request, space_slug: str, name: str):
    """The app page's events tab: the stored, merged events of the app."""
    app = get_app_or_404(request.user, space_slug, name)
    rows = _explain(list(selectors.events_visible_to(request.user).filter(app=app)[:100]))
    return render(request, "events/_app_events.html", {"rows": rows, "app": app})


@login_required
def app_memory_card(request, space_slug: str, name: str):
    """The app page's memory card: usage - cache next to working set and the limit."""
    app = get_app_or_404(request.user, space_slug, name)
    figures = app_memory(app)
    samples = list(MemorySample.objects.filter(app=app).order_by("-at")[:60])[::-1]
    chart = {"points": _points([s.usage - s.cache for s in samples], samples),
             "ws_points": _points([s.working_set for s in samples], samples)}  # fmt: skip
    return render(request, "events/_memory.html", {"app": app, "memory": figures, "chart": chart})


def _points(values: list[int], samples) -> str:
    """An SVG polyline (300 x 60) of `values` against the samples' common scale."""
    if len(values) < 2:
        return ""
    top = max(max(s.working_set, s.usage - s.cache) for s in samples) or 1
    step = 300 / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{60 - 58 * v / top:.1f}" for i, v in enumerate(values))


def get_rule_or_404(user, pk: int) -> AlertRule:
    rule = selectors.rules_visible_to(user).filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule

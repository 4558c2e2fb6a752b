"""Reads of apps, already restricted to what the user may see.

Restrict before lookup: an app in a space the user cannot see is a 404; one they can
see but not change is a 403 from the service's permission check.
"""

import difflib

import yaml
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from apps.spaces.selectors import spaces_visible_to
from apps.workloads.models import App, AppRevision
from apps.workloads.rendering import to_yaml
from apps.workloads.targets import render_for_export


def apps_visible_to(user) -> QuerySet[App]:
    """Apps of every space `user` may see, with what list pages show (no N+1)."""
    return (
        App.objects.filter(space__in=spaces_visible_to(user).values("pk"))
        .select_related("space", "revision", "canary_revision")
        .prefetch_related("placements__cluster")
    )


def app_list_for(user, *, space=None, query: str = "", kind: str = "", status: str = ""):
    apps = apps_visible_to(user)
    if space is not None:
        apps = apps.filter(space=space)
    if query:
        apps = apps.filter(name__icontains=query)
    if kind:
        apps = apps.filter(kind=kind)
    if status:
        apps = apps.filter(status=status)
    return with_observed_replicas(apps).order_by("space__slug", "name")


def with_observed_replicas(apps: QuerySet[App]) -> QuerySet[App]:
    """Annotate ready/desired replicas summed over clusters, as the reconciler last saw them.

    List pages read these synced figures from the database (two subqueries, whatever the
    page size) and never call a cluster.
    """
    observed = django_apps.get_model("reconciler", "ObservedApp").objects.filter(app=OuterRef("pk"))

    def total(field: str) -> Subquery:
        summed = observed.values("app").annotate(total=Sum(field)).values("total")
        return Subquery(summed, output_field=IntegerField())

    return apps.annotate(
        observed_ready=total("ready_replicas"), observed_desired=total("desired_replicas")
    )


def get_app_or_404(user, space_slug: str, name: str) -> App:
    app = apps_visible_to(user).filter(space__slug=space_slug, name=name).order_by("-id").first()
    if app is None:
        raise Http404(
            _("No app %(space)s/%(name)s that you can see.") % {"space": space_slug, "name": name}
        )
    return app


def clone_target(user, app: App, slug: str | None):
    """The space a clone of `app` goes to: the app's own when no slug is given, else the
    newest space of that slug the user can see; a ValidationError naming the field if none."""
    if not slug:
        return app.space
    target = spaces_visible_to(user).filter(slug=slug).order_by("-id").first()
    if target is None:
        raise ValidationError(
            {"target_space": [_("No space named %(slug)s that you can see.") % {"slug": slug}]}
        )
    return target


def revisions_of(app: App) -> QuerySet[AppRevision]:
    return app.revisions.select_related("author").order_by("-number")


def get_revision_or_404(app: App, number) -> AppRevision:
    revision = app.revisions.filter(number=number).first() if str(number).isdigit() else None
    if revision is None:
        raise Http404(_("This app has no revision %(n)s.") % {"n": number})
    return revision


def revision_diff(old: AppRevision, new: AppRevision) -> str:
    """A unified diff of two revisions' specs as YAML (what changed, line by line)."""

    def lines(rev):
        return yaml.safe_dump(
            rev.spec, sort_keys=True, default_flow_style=False, width=1000
        ).splitlines()

    return "\n".join(
        difflib.unified_diff(
            lines(old), lines(new), fromfile=f"revision {old.number}", tofile=f"revision {new.number}",
            lineterm="",
        )
    )  # fmt: skip


def export_yaml(app: App, *, cluster: str | None = None, namespace: str | None = None) -> str:
    """The app's manifests as one multi-document YAML file for `kubectl apply -f`."""
    return to_yaml(render_for_export(app, cluster_name=cluster, namespace=namespace))

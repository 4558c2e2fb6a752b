"""Who may read an app's logs: anyone who may see its space (viewer and up, platform
admins too), decided in one place for the portal page, the websocket (before accepting,
and again on every re-check) and the API stream. Logs are a read like the app's page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from apps.terminal.access import FORBIDDEN, NOT_FOUND, UNAUTHENTICATED  # the same close codes
from apps.workloads.choices import AppStatus
from apps.workloads.models import App
from apps.workloads.selectors import apps_visible_to


@dataclass
class Decision:
    allowed: bool
    code: int = 1000
    reason: str = ""
    app: App | None = None
    clusters: list = field(default_factory=list)

    @classmethod
    def deny(cls, code: int, reason: str) -> Decision:
        return cls(False, code, reason)


def decide(user, space_slug: str, app_name: str, cluster_name: str = "") -> Decision:
    """May `user` read the logs of app `space_slug/app_name` (on `cluster_name`, or on all
    of the app's enabled clusters)? Reads the database only (consumers call it in a thread)."""
    if user is None or not user.is_authenticated:
        return Decision.deny(UNAUTHENTICATED, _("Sign in to read logs."))
    if not user.is_active:
        return Decision.deny(UNAUTHENTICATED, _("Your account was deactivated."))
    app = (
        apps_visible_to(user)
        .filter(space__slug=space_slug, name=app_name)
        .exclude(status=AppStatus.DELETING)
        .order_by("-id")
        .first()
    )
    if app is None:
        return Decision.deny(FORBIDDEN, _("No app %(space)s/%(app)s that you can see.")
                             % {"space": space_slug, "app": app_name})  # fmt: skip
    clusters = [p.cluster for p in app.placements.all() if p.cluster.enabled]
    if cluster_name:
        clusters = [c for c in clusters if c.name == cluster_name]
        if not clusters:
            return Decision.deny(NOT_FOUND, _("App %(app)s does not run on cluster %(cluster)s.")
                                 % {"app": app.name, "cluster": cluster_name})  # fmt: skip
    elif not clusters:
        return Decision.deny(NOT_FOUND, _("App %(app)s runs on no enabled cluster.")
                             % {"app": app.name})  # fmt: skip
    return Decision(True, app=app, clusters=clusters)

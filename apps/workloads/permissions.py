"""Who may do what to apps. App rights follow the space role (apps/spaces/permissions.py):

| verb                          | needs in the app's space            |
|-------------------------------|-------------------------------------|
| view, status, export, diff    | view (viewer and above)             |
| create, edit, deploy, scale,  | deploy (developer, admin, owner)    |
| pause, resume, restart,       |                                     |
| rollback, canary, delete,     |                                     |
| placement, adopt              |                                     |
| clone                         | view in the source space and deploy |
|                               | in the target space                 |

Production apps are changed only by members of that production space: the check is
always made against the space the app lives in, never against another space, and in
production a platform admin's blanket rights do not stand in for a membership (system
tasks still act).
"""

from apps.audit.actors import is_system, person_of
from apps.clusters.choices import PRODUCTION_ENVIRONMENTS
from apps.spaces.choices import SpaceRole
from apps.spaces.models import Membership
from apps.spaces.permissions import can as space_can

CHANGING_ROLES = frozenset({SpaceRole.DEVELOPER, SpaceRole.ADMIN, SpaceRole.OWNER})

VIEW_ACTIONS = frozenset({"view", "status", "export", "diff"})
CHANGE_ACTIONS = frozenset(
    {
        "create", "edit", "deploy", "scale", "pause", "resume", "restart", "rollback",
        "canary", "delete", "placement", "adopt",
    }
)  # fmt: skip


def can_view_apps(user, space) -> bool:
    return space_can(user, "view", space)


def can_change_apps(user, space) -> bool:
    if space is None or not space_can(user, "deploy", space):
        return False
    if space.environment in PRODUCTION_ENVIRONMENTS and not is_system(user):
        person = person_of(user)
        return Membership.objects.filter(space=space, user=person, role__in=CHANGING_ROLES).exists()
    return True


def can(user, action: str, app) -> bool:
    """May `user` do `action` to `app` (an App, or a Space for "create"/"adopt")?"""
    space = getattr(app, "space", app)
    if action in VIEW_ACTIONS:
        return can_view_apps(user, space)
    if action in CHANGE_ACTIONS:
        return can_change_apps(user, space)
    raise ValueError(f"unknown app action {action!r}")


def can_clone(user, app, target_space) -> bool:
    return can_view_apps(user, app.space) and can_change_apps(user, target_space)


def allowed_actions(user, app) -> dict[str, bool]:
    """For templates and the API: every verb -> allowed."""
    view = can_view_apps(user, app.space)
    change = view and can_change_apps(user, app.space)
    return {**dict.fromkeys(VIEW_ACTIONS, view), **dict.fromkeys(CHANGE_ACTIONS, change)}

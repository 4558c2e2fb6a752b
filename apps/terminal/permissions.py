"""Who may see terminal sessions, their command logs and recordings.

| who                           | sees                                        |
|-------------------------------|---------------------------------------------|
| platform admins               | every session                               |
| a space's owners              | every session in that space                 |
| anyone                        | their own sessions                          |

Opening a terminal is decided by apps/terminal/access.py (space role + cluster policy).
"""

from django.db.models import Q, QuerySet

from apps.accounts.roles import Role, has_role, is_platform_admin
from apps.spaces.choices import SpaceRole
from apps.spaces.models import Membership
from apps.terminal.models import TerminalSession


def can_use_terminals(user) -> bool:
    """The navigation's entry: employees (who open terminals) and platform admins (who
    review them); space owners reach their spaces' sessions through it too."""
    return has_role(user, Role.EMPLOYEE, Role.PLATFORM_ADMIN)


def sessions_visible_to(user) -> QuerySet[TerminalSession]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return TerminalSession.objects.none()
    sessions = TerminalSession.objects.select_related("user")
    if is_platform_admin(user):
        return sessions.all()
    owned = Membership.objects.filter(user=user, role=SpaceRole.OWNER).values("space_id")
    return sessions.filter(Q(user=user) | Q(space_id__in=owned))


def can_view_session(user, session: TerminalSession) -> bool:
    return sessions_visible_to(user).filter(pk=session.pk).exists()

"""Who may see the reconciler and ask for a pass.

| verb                 | who                                                 |
|----------------------|-----------------------------------------------------|
| see passes (the nav) | platform admins                                     |
| request a pass       | platform admins; the platform itself (tasks, CLI)   |

Each helper takes an Actor (services) or a user (views, templates, the navigation).
"""

from apps.accounts.roles import is_platform_admin
from apps.audit.actors import is_system, person_of


def can_view_reconciler(who) -> bool:
    return is_platform_admin(person_of(who))


def can_request_reconcile(who) -> bool:
    if is_system(who):
        return True
    person = person_of(who)
    return bool(person and person.is_active) and is_platform_admin(person)

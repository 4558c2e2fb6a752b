"""Who may read events and manage alert rules and sinks.

| what                           | who                                             |
|--------------------------------|-------------------------------------------------|
| read a space's events          | anyone who may view the space (viewer to owner) |
| read every cluster's events    | platform admins                                 |
| rules, sinks of a space        | the space's admins and owners (`update` verb)   |
| global rules and sinks         | platform admins                                 |
"""

from apps.accounts.roles import is_platform_admin
from apps.audit.actors import is_system, person_of
from apps.spaces.permissions import can as can_space


def _admin(who) -> bool:
    if is_system(who):
        return True
    person = person_of(who)
    return bool(person is not None and is_platform_admin(person))


def can_view_events(who) -> bool:
    person = person_of(who)
    return is_system(who) or bool(person is not None and person.is_authenticated)


def can_manage_alerts(who, space=None) -> bool:
    """Rules and sinks of `space`, or global ones (space None)."""
    if _admin(who):
        return True
    return space is not None and can_space(who, "update", space)


def can_view_all_clusters(who) -> bool:
    return _admin(who)

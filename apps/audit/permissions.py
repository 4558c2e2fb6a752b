"""Who may read the audit trail.

| verb                      | who                                                        |
|---------------------------|------------------------------------------------------------|
| open the trail (the nav)  | platform admins; anyone the registered scope hooks grant   |
|                           | a space (apps/spaces: owners); the rest is refused (403)   |
| read an event             | what `selectors.events_visible_to(user)` returns (else 404)|

Each helper takes an Actor or a user (views, the API, the navigation).
"""

from apps.accounts.roles import is_platform_admin
from apps.audit.actors import person_of
from apps.audit.selectors import visible_space_ids


def can_view_audit(who) -> bool:
    """May `who` open the audit trail at all (admins, and users with a scope)."""
    user = person_of(who)
    return user is not None and (is_platform_admin(user) or bool(visible_space_ids(user)))

"""Who may do what with approval requests and workflow definitions.

| verb                         | who                                                          |
|------------------------------|--------------------------------------------------------------|
| submit                       | any signed-in, active person                                 |
| view                         | requester, deciders, approvers of the workflow, platform     |
|                              | admins (else 404: `selectors.requests_visible_to`)           |
| decide                       | an approver of the current step who is not the requester     |
|                              | (else 403), once per step, while pending (else 409)          |
| cancel                       | the requester, while pending                                 |
| retry a failed handler       | platform admins                                              |
| definitions (read, change)   | platform admins                                              |

Each helper takes an Actor (services) or a user (views and templates).
"""

from apps.accounts.roles import is_platform_admin
from apps.approvals.selectors import is_current_approver
from apps.audit.actors import is_system, person_of


def can_submit(who) -> bool:
    person = person_of(who)
    return bool(person and person.is_active)


def can_decide(who, request) -> bool:
    """An approver of the current step (the engine also refuses a second decision)."""
    return is_current_approver(person_of(who), request)


def can_cancel(who, request) -> bool:
    return request.is_pending and getattr(person_of(who), "pk", None) == request.requester_id


def can_retry_handler(who) -> bool:
    return is_system(who) or is_platform_admin(person_of(who))


def can_manage_definitions(who) -> bool:
    return is_system(who) or is_platform_admin(person_of(who))

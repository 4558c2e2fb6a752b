"""Who may do what with approval requests and workflow definitions.

view      requester, deciders, approvers of the workflow, platform admins (else 404)
decide    an approver of the current step who is not the requester (else 403),
          once per step, while pending (else 409)
cancel    the requester, while pending
definitions (read and change)   platform admins
"""

from apps.accounts.roles import is_platform_admin
from apps.approvals.selectors import is_current_approver, requests_visible_to


def can_view_request(user, request) -> bool:
    return requests_visible_to(user).filter(pk=request.pk).exists()


def can_decide(user, request) -> bool:
    """An approver of the current step (the engine also refuses a second decision)."""
    return is_current_approver(user, request)


def can_cancel(user, request) -> bool:
    return request.is_pending and getattr(user, "pk", None) == request.requester_id


def can_manage_definitions(user) -> bool:
    return is_platform_admin(user)

"""Reads of operations, already restricted to what the user may see."""

from django.db.models import Q, QuerySet

from apps.accounts.roles import is_platform_admin
from apps.operations.models import Operation
from apps.spaces.selectors import spaces_visible_to


def operations_visible_to(user) -> QuerySet[Operation]:
    """Every operation for platform admins; their spaces' operations and the ones they
    started themselves (a restore before its space exists) for other people."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Operation.objects.none()
    rows = Operation.objects.select_related("space", "cluster")
    if is_platform_admin(user):
        return rows.all()

    return rows.filter(Q(space__in=spaces_visible_to(user).values("pk")) | Q(actor_user_id=user.pk))


def operation_list_for(user, *, state: str = "", kind: str = "", space: str = "", query: str = ""):
    rows = operations_visible_to(user)
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if space:
        rows = rows.filter(space__slug=space)
    if query:
        rows = rows.filter(target_name__icontains=query)
    return rows.order_by("-created_at", "-id")

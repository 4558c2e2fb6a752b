"""Reads of spaces, already restricted to what the user may see.

Restrict before lookup: a space the user may not see is a 404 (`get_space_or_404`); one
they may see but not act on is a 403 raised by the service's permission check.
"""

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from apps.accounts.roles import is_platform_admin
from apps.approvals.models import ApprovalRequest
from apps.clusters.cluster_ops import quota_usage as read
from apps.clusters.gateway import GatewayError
from apps.operations.choices import ACTIVE_STATES
from apps.operations.models import Operation
from apps.spaces.choices import LIVE_STATES, SpaceState, destroy_key
from apps.spaces.manifests import QUOTA_NAME
from apps.spaces.models import Membership, Space, SpaceTransition
from apps.spaces.permissions import VIEW


def spaces_visible_to(user) -> QuerySet[Space]:
    """Every space for platform admins; the spaces where `user` holds view_space otherwise
    (a guardian object permission, granted with any role)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Space.objects.none()
    spaces = Space.objects.select_related("primary_cluster__policy", "owner")
    if is_platform_admin(user):
        return spaces.all()
    return spaces.filter(
        spaceuserobjectpermission__user=user,
        spaceuserobjectpermission__permission__codename=VIEW,
    )


def space_list_for(user, *, environment: str = "", state: str = "", query: str = ""):
    """The "my spaces" list: visible spaces with the user's role; live ones unless a state
    is asked for."""
    spaces = spaces_visible_to(user).annotate(
        my_role=Subquery(
            Membership.objects.filter(space=OuterRef("pk"), user=user).values("role")[:1]
        )
    )
    if environment:
        spaces = spaces.filter(environment=environment)
    spaces = spaces.filter(state=state) if state else spaces.filter(state__in=LIVE_STATES)
    if query:
        spaces = spaces.filter(slug__icontains=query)
    return spaces.order_by("slug", "id")


def get_space_or_404(user, slug: str) -> Space:
    """The live space named `slug` if `user` may see it (else the newest deleted one)."""
    spaces = spaces_visible_to(user).filter(slug=slug)
    space = spaces.filter(state__in=LIVE_STATES).first() or spaces.order_by("-id").first()
    if space is None:
        raise Http404(_("No space named %(slug)s that you can see.") % {"slug": slug})
    return space


def members_of(space: Space) -> QuerySet[Membership]:
    return space.memberships.select_related("user").order_by("user__username")


def membership_or_404(space: Space, username: str) -> Membership:
    found = members_of(space).filter(user__username=username).first()
    if found is None:
        raise Http404(_("%(user)s is not a member of this space.") % {"user": username})
    return found


def timeline_of(space: Space) -> QuerySet[SpaceTransition]:
    return space.transitions.order_by("at", "id")


def requests_for(space: Space):
    """The approval requests made for `space` (newest first)."""
    return (
        ApprovalRequest.objects.filter(payload__space_id=space.pk)
        .select_related("requester")
        .prefetch_related("decisions__approver")
        .order_by("-created_at", "-id")
    )


def quota_usage(space: Space) -> list[dict]:
    """Per cluster: hard and used from the space's ResourceQuota status, read through the
    gateway and cached for K2_SPACES_USAGE_CACHE_SECONDS; an unreadable one carries its
    error in words."""
    if space.state not in {SpaceState.ACTIVE, SpaceState.EXPIRING, SpaceState.EXPIRED}:
        return []
    seconds = settings.K2_SPACES_USAGE_CACHE_SECONDS
    out = []
    for placement in space.placements.select_related("cluster"):
        key = f"spaces:usage:{space.pk}:{placement.cluster_id}"
        usage = cache.get(key)
        if usage is None:
            try:
                usage = read(placement.cluster, space.namespace, QUOTA_NAME)
            except GatewayError as exc:
                usage = {"hard": {}, "used": {}, "error": str(exc)}
            cache.set(key, usage, seconds)
        out.append({"cluster": placement.cluster.name, **usage})
    return out


def ending_of(space: Space):
    """The expiry or deletion operation under way for the space (backup first), if any."""
    return Operation.objects.filter(key=destroy_key(space.pk), state__in=ACTIVE_STATES).first()

"""Portal pages of spaces: my spaces, create, detail (members, quota, clusters, timeline,
requests) and the small POST actions. Every change goes through apps.spaces.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.roles import is_platform_admin
from apps.approvals import notifications
from apps.audit.actors import Actor
from apps.clusters.selectors import clusters_visible_to
from apps.core.forms import add_service_errors, error_text
from apps.spaces import selectors, services
from apps.spaces.choices import RequestKind, SpaceRole, SpaceState
from apps.spaces.exceptions import SpaceConflict
from apps.spaces.forms import (
    ASSIGNABLE_ROLES,
    MemberAddForm,
    MemberRoleForm,
    QuotaForm,
    RenewForm,
    SpaceCreateForm,
    SpaceFilterForm,
    TransferForm,
)
from apps.spaces.lifetime import days_left, expiry_colour
from apps.spaces.models import SpaceCluster
from apps.spaces.permissions import allowed_actions, can_create_space
from apps.spaces.quota import QUOTA_FIELDS, default_quota, maximum_quota

PAGE_SIZE = 25
# The services name quota errors "quota.cpu"; the form fields are quota_cpu.
QUOTA_ALIASES = {f"quota.{name}": f"quota_{name}" for name in QUOTA_FIELDS}


@login_required
def index(request):
    form = SpaceFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    spaces = selectors.space_list_for(
        request.user,
        environment=data.get("environment", ""),
        state=data.get("state", ""),
        query=data.get("q", ""),
    ).prefetch_related(Prefetch("placements", SpaceCluster.objects.select_related("cluster")))
    page = Paginator(spaces, PAGE_SIZE).get_page(request.GET.get("page"))
    # Owners and admins hold renew_space (the permissions table), platform admins too.
    admin = is_platform_admin(request.user)
    for space in page.object_list:
        space.my_role_label = SpaceRole(space.my_role).label if space.my_role else ""
        space.may_renew = admin or space.my_role in (SpaceRole.OWNER, SpaceRole.ADMIN)
        space.expiry = expiry_of(space)
        if space.expiry is not None:
            space.expiry["renewal"] = services.renewal_terms(space)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "spaces/list.html",
        {"form": form, "page": page, "query": query.urlencode(),
         "may_create": can_create_space(request.user)},
    )  # fmt: skip


@login_required
def create(request):
    if not can_create_space(request.user):
        raise PermissionDenied
    clusters = list(clusters_visible_to(request.user).filter(enabled=True, cordoned=False))
    form = SpaceCreateForm(request.POST or None, clusters=clusters)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.do_create_space(
                actor=Actor.from_request(request),
                slug=data["slug"],
                environment=data["environment"],
                display_name=data["display_name"],
                description=data["description"],
                cluster=data["cluster"] or None,
                quota=form.quota() or None,
                reason=data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, QUOTA_ALIASES)
        else:
            space = result.space
            if result.approval is not None:
                messages.success(
                    request,
                    _("Request #%(id)s for production space %(space)s is waiting for "
                      "approval; you will be notified.") % {"id": result.approval.pk,
                                                             "space": space.slug},
                )  # fmt: skip
            else:
                messages.success(request, _("Space %(space)s is being created.") % {
                    "space": space.slug})  # fmt: skip
            if result.quota_request is not None:
                messages.info(
                    request,
                    _(
                        "You asked for more quota than the policy allows: the space starts at "
                        "the maximum and request #%(id)s asks for the rest."
                    )
                    % {"id": result.quota_request.pk},
                )
            return redirect("spaces:detail", slug=space.slug)
    policies = [
        {"cluster": c, "default": default_quota(c), "maximum": maximum_quota(c)} for c in clusters
    ]
    return render(request, "spaces/create.html", {"form": form, "policies": policies})


def _detail_context(request, space) -> dict:
    actions = allowed_actions(request.user, space)
    requests = list(selectors.requests_for(space)[:20])
    placements = list(space.placements.select_related("cluster"))
    for item in requests:
        item.kind_label = RequestKind(item.kind).label if item.kind in RequestKind.values else ""
    context = {
        "space": space,
        "actions": actions,
        "members": list(selectors.members_of(space)),
        "placements": placements,
        "any_cluster_failed": any(p.status == "failed" for p in placements),
        "timeline": list(selectors.timeline_of(space)),
        "requests": requests,
        "roles": ASSIGNABLE_ROLES,
        "member_form": MemberAddForm(),
        "quota_form": QuotaForm(
            initial={
                "cpu": space.quota_cpu,
                "memory": space.quota_memory,
                "pods": space.quota_pods,
                "storage": space.quota_storage,
            }
        ),  # fmt: skip
        "maximum": maximum_quota(space.primary_cluster),
        "renewal": services.renewal_terms(space) if space.expires_at else None,
        "expiry": expiry_of(space),
    }
    return context


def expiry_of(space) -> dict | None:
    """Days left and their badge colour (None for a space that never expires)."""
    left = days_left(space.expires_at, timezone.now())
    if left is None:
        return None
    return {"days_left": left, "colour": expiry_colour(left)}


@login_required
def detail(request, slug: str):
    space = selectors.get_space_or_404(request.user, slug)
    notifications.mark_read(request.user, space=space)
    return render(request, "spaces/detail.html", _detail_context(request, space))


@login_required
def usage(request, slug: str):
    """The live quota usage card (HTMX partial)."""
    space = selectors.get_space_or_404(request.user, slug)
    return render(
        request, "spaces/_usage.html", {"space": space, "usage": selectors.quota_usage(space)}
    )


def _act(request, slug: str, work, done: str):
    """Run one POST action: 404 if not visible, 403 if not allowed, errors as messages."""
    space = selectors.get_space_or_404(request.user, slug)
    try:
        message = work(space)
    except SpaceConflict as exc:
        messages.error(request, str(exc.detail))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, message or done)
    return redirect(reverse("spaces:detail", args=[space.slug]))


@login_required
@require_POST
def add_member(request, slug: str):
    form = MemberAddForm(request.POST)

    def work(space):
        if not form.is_valid():
            raise ValidationError(_("Give a username and a role."))
        user = services.active_user(form.cleaned_data["user"])
        services.do_add_member(
            space, user, form.cleaned_data["role"], actor=Actor.from_request(request)
        )
        return _("%(user)s was added.") % {"user": form.cleaned_data["user"]}

    return _act(request, slug, work, "")


@login_required
@require_POST
def change_member(request, slug: str, username: str):
    form = MemberRoleForm(request.POST)

    def work(space):
        membership = selectors.membership_or_404(space, username)
        if not form.is_valid():
            raise ValidationError(_("Choose a role."))
        services.do_change_member_role(
            membership, form.cleaned_data["role"], actor=Actor.from_request(request)
        )
        return _("%(user)s is now %(role)s.") % {"user": username,
                                                 "role": form.cleaned_data["role"]}  # fmt: skip

    return _act(request, slug, work, "")


@login_required
@require_POST
def remove_member(request, slug: str, username: str):
    def work(space):
        services.do_remove_member(
            selectors.membership_or_404(space, username), actor=Actor.from_request(request)
        )
        return _("%(user)s was removed.") % {"user": username}

    return _act(request, slug, work, "")


@login_required
@require_POST
def change_quota(request, slug: str):
    form = QuotaForm(request.POST)

    def work(space):
        if not form.is_valid():
            raise ValidationError(_("Check the quota values."))
        result = services.do_request_quota(
            space,
            form.quota(),
            actor=Actor.from_request(request),
            reason=form.cleaned_data["reason"],
        )
        if result.applied:
            return _("The quota was changed.")
        return _("Request #%(id)s for the quota is waiting for approval.") % {
            "id": result.approval.pk
        }

    return _act(request, slug, work, "")


@login_required
@require_http_methods(["GET", "POST"])
def renew(request, slug: str):
    """GET: the renewal terms and one button (nothing changes); POST: renew the space.

    Reminder emails and inbox notices link here, so one click shows what a renewal does
    and a second one does it.
    """
    if request.method == "GET":
        space = selectors.get_space_or_404(request.user, slug)
        notifications.mark_read(request.user, space=space)
        context = {
            "space": space,
            "may_renew": allowed_actions(request.user, space)["renew"],
            "renewable": space.expires_at is not None
            and space.state in (SpaceState.ACTIVE, SpaceState.EXPIRING),
            "renewal": services.renewal_terms(space) if space.expires_at else None,
            "expiry": expiry_of(space),
        }
        return render(request, "spaces/renew.html", context)
    form = RenewForm(request.POST)

    def work(space):
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        result = services.do_renew_space(space, actor=Actor.from_request(request), reason=reason)
        if result.applied:
            return _("Renewed until %(date)s.") % {"date": f"{result.space.expires_at:%Y-%m-%d}"}
        return _("Past the cap: request #%(id)s for the renewal is waiting for approval.") % {
            "id": result.approval.pk
        }

    return _act(request, slug, work, "")


@login_required
@require_POST
def retry(request, slug: str):
    return _act(
        request, slug, lambda space: services.do_retry_space(space, actor=Actor.from_request(request)) and "",
        _("Provisioning was started again."),
    )  # fmt: skip


@login_required
@require_POST
def delete(request, slug: str):
    def work(space):
        space = services.do_delete_space(space, actor=Actor.from_request(request))
        deletion = selectors.ending_of(space)
        if deletion is not None:
            return _("The space is backed up first, then deleted (operation #%(id)s).") % {
                "id": deletion.pk
            }
        return ""

    return _act(request, slug, work, _("The space is being deleted."))


@login_required
@require_POST
def transfer(request, slug: str):
    form = TransferForm(request.POST)

    def work(space):
        if not form.is_valid():
            raise ValidationError(_("Give the new owner's username."))
        user = services.active_user(form.cleaned_data["user"])
        if user is None:
            raise ValidationError(_("There is no active user of that name."))
        services.do_transfer_space(space, user, actor=Actor.from_request(request))
        return _("%(user)s owns the space now.") % {"user": user.get_username()}

    return _act(request, slug, work, "")

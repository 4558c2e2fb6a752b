"""Spaces (K2Cloud's tenants), their clusters, members, state history and guardian rows."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.clusters.choices import Environment
from apps.spaces.choices import LIVE_STATES, ClusterStatus, SpaceRole, SpaceState

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
dns1123_label = RegexValidator(
    DNS1123_LABEL,
    _(
        "Use lower-case letters, digits and '-', starting and ending with a letter or digit "
        "(a DNS-1123 label)."
    ),
    code="invalid_name",
)


class Space(models.Model):
    """A tenant: one namespace (named by the slug) on each cluster of one environment."""

    slug = models.CharField(
        _("name"), max_length=63, validators=[dns1123_label, MaxLengthValidator(63)]
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    environment = models.CharField(_("environment"), max_length=16, choices=Environment.choices)
    primary_cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.PROTECT, related_name="primary_spaces"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_spaces"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)

    quota_cpu = models.CharField(_("CPU quota"), max_length=16)
    quota_memory = models.CharField(_("memory quota"), max_length=16)
    quota_pods = models.PositiveIntegerField(_("pods quota"))
    quota_storage = models.CharField(_("storage quota"), max_length=16)
    # LimitRange defaults for containers that do not declare their resources.
    default_cpu_limit = models.CharField(_("default container CPU limit"), max_length=16)
    default_memory_limit = models.CharField(_("default container memory limit"), max_length=16)

    state = models.CharField(
        _("state"), max_length=20, choices=SpaceState.choices, default=SpaceState.PROVISIONING
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    renewals_used = models.PositiveIntegerField(_("renewals used"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug", "id"]
        default_permissions = ()
        permissions = [
            ("view_space", _("View the space")),
            ("deploy_apps", _("Deploy apps in the space")),
            ("open_terminal", _("Open a terminal in the space's containers")),
            ("manage_members", _("Manage the space's members")),
            ("update_space", _("Change the space's name and description")),
            ("request_quota", _("Request quota for the space")),
            ("renew_space", _("Renew the space")),
            ("retry_space", _("Retry the space's provisioning")),
            ("delete_space", _("Delete the space")),
            ("transfer_space", _("Transfer the space to another owner")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(state__in=sorted(LIVE_STATES)),
                name="spaces_space_unique_live_slug",
                violation_error_message=_("A space with this name already exists."),
            )
        ]
        indexes = [models.Index(fields=["state", "environment"])]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("spaces:detail", args=[self.slug])

    @property
    def title(self) -> str:
        return self.display_name or self.slug

    @property
    def namespace(self) -> str:
        return self.slug

    @property
    def state_enum(self) -> SpaceState:
        return SpaceState(self.state)

    @property
    def is_test(self) -> bool:
        return self.environment != Environment.PROD


class SpaceCluster(models.Model):
    """One cluster a space lives on, and how its provisioning there went."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="placements")
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.PROTECT, related_name="space_placements"
    )
    is_primary = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=ClusterStatus.choices, default=ClusterStatus.PENDING
    )
    error = models.TextField(blank=True)
    spec_hash = models.CharField(max_length=64, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "cluster__name"]
        constraints = [
            models.UniqueConstraint(fields=["space", "cluster"], name="spaces_one_per_cluster")
        ]

    def __str__(self) -> str:
        return f"{self.space_id}@{self.cluster_id}"


class Membership(models.Model):
    """A user's role in a space (mirrored into guardian object permissions and RoleBindings)."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=SpaceRole.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(fields=["space", "user"], name="spaces_one_role_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} in {self.space_id}"


class SpaceTransition(models.Model):
    """One step of a space's state history (the timeline)."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=SpaceState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=SpaceState.choices)
    at = models.DateTimeField(db_index=True)
    actor_name = models.CharField(max_length=150, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.space_id}: {self.from_state or '-'} -> {self.to_state}"


class SpaceReminder(models.Model):
    """One expiry reminder sent for a space: a window (days before expiry) of one expiry.

    The unique constraint is the dedupe: a re-run or a racing task cannot insert the same
    (space, window, expiry) twice, so nobody is reminded twice. A renewal moves expires_at,
    which makes every window due again.
    """

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="reminders")
    window_days = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "window_days", "expires_at"],
                name="spaces_one_reminder_per_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.space_id}: {self.window_days}d before {self.expires_at:%Y-%m-%d %H:%M}"


class SpaceUserObjectPermission(UserObjectPermissionBase):
    """A guardian object permission of a user on a space (direct foreign key, fast joins)."""

    content_object = models.ForeignKey(Space, on_delete=models.CASCADE)


class SpaceGroupObjectPermission(GroupObjectPermissionBase):
    """A guardian object permission of a group on a space."""

    content_object = models.ForeignKey(Space, on_delete=models.CASCADE)

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistryKind(models.TextChoices):
    HARBOR = "harbor", _("Harbor")
    DISTRIBUTION = "distribution", _("OCI / Distribution registry")


class RunMode(models.TextChoices):
    DRY_RUN = "dry-run", _("Dry run (report only)")
    INDEX = "index", _("part of a kept multi-arch index")
    DELETE = "delete", _("Delete")


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    BLOCKED = "blocked", _("Blocked (nothing deleted)")
    FAILED = "failed", _("Failed")


class Reason(models.TextChoices):
    """Why an image is kept (or that it is deleted): the words of the run report."""

    NEWEST = "newest", _("among the newest N")
    YOUNG = "young", _("younger than the keep-days")
    PROTECTED = "protected", _("protected tag pattern")
    RUNNING = "running", _("running or declared in a cluster")
    REVISION = "revision", _("referenced by an app revision")
    INDEX = "index", _("part of a kept multi-arch index")
    DELETE = "delete", _("older than the policy keeps")

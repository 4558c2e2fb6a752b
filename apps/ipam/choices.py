"""Enums of IPAM cleanup: the per-cluster mode, the class of an allocation, a run's outcome."""

from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class Mode(ColourChoices):
    OFF = "off", "secondary", _("Off")
    REPORT = "report", "azure", _("Report only")
    RELEASE = "release", "green", _("Release")


class RunState(ColourChoices):
    RUNNING = "running", "azure", _("Running")
    SUCCEEDED = "succeeded", "green", _("Succeeded")
    STOPPED = "stopped", "orange", _("Stopped (too much looks leaked)")
    NO_CALICO = "no_calico", "secondary", _("No Calico")
    SKIPPED = "skipped", "secondary", _("Skipped")
    FAILED = "failed", "red", _("Failed")


class Trigger(ColourChoices):
    SCHEDULE = "schedule", "secondary", _("Schedule")
    SCAN = "scan", "blue", _("Scan now")
    RELEASE = "release", "orange", _("Release now")


# The classes of an allocation (apps/ipam/classify.py); the report counts each.
IN_USE = "in_use"
LEAKED = "leaked"
NOT_POD = "not_pod"
NO_HANDLE = "no_handle"
MALFORMED = "malformed"
CLASS_LABELS = {
    IN_USE: _("In use"),
    LEAKED: _("Leaked candidate"),
    NOT_POD: _("Not a pod (tunnel, reserved)"),
    NO_HANDLE: _("Allocation without handle"),
    MALFORMED: _("Malformed"),
}

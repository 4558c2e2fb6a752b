"""Enums of the event center: event type, sink kind, notification and delivery states."""

from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class EventType(ColourChoices):
    NORMAL = "Normal", "secondary", _("Normal")
    WARNING = "Warning", "orange", _("Warning")


class SinkKind(ColourChoices):
    EMAIL = "email", "blue", _("Email")
    WEBHOOK = "webhook", "azure", _("Webhook (JSON, HMAC-signed)")
    DINGTALK = "dingtalk", "cyan", _("DingTalk robot")
    WECOM = "wecom", "green", _("WeCom robot")
    SLACK = "slack", "purple", _("Slack-compatible webhook")


class NoticeKind(ColourChoices):
    FIRING = "firing", "red", _("Firing")
    RESOLVED = "resolved", "green", _("Resolved")


class DeliveryState(ColourChoices):
    PENDING = "pending", "secondary", _("Pending")
    SENDING = "sending", "azure", _("Sending")
    SENT = "sent", "green", _("Sent")
    FAILED = "failed", "red", _("Failed")


# The common reasons, explained in words (the code itself is shown as is).
REASON_HELP = {
    "OOMKilled": _("A container used more memory than its limit and was killed."),
    "OOMKilling": _("The kernel killed a process in a container that ran out of memory."),
    "BackOff": _("A container keeps failing; Kubernetes waits longer before each restart."),
    "Restarted": _("A container restarted (its restart count went up)."),
    "FailedScheduling": _("No node can run the pod (resources, selectors or taints)."),
    "Killing": _("Kubernetes is stopping a container."),
    "Scheduled": _("The pod was placed on a node."),
    "Pulled": _("The container image is on the node."),
    "Created": _("The container was created."),
    "Started": _("The container started."),
    "Unhealthy": _("A liveness or readiness probe failed."),
    "FailedCreatePodSandBox": _("The pod's sandbox (network) could not be set up."),
}

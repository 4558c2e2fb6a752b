"""The workflows K2Cloud starts with and the beat entry of the deadline sweep.

Used by the data migration 0002 and callable again (idempotent) wherever a database was
emptied, e.g. by transactional tests or the demo seed: `ensure_default_workflows()`.
"""

from datetime import timedelta

from django.contrib.auth.models import Group
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.approvals.models import WorkflowDefinition, WorkflowStep

DAY = timedelta(days=1)
DEFAULT_WORKFLOWS = {
    "space.create.prod": (
        "Production space",
        "A new space in a production environment.",
        [
            {"name": "Team lead", "approvers": "approver", "deadline": 3 * DAY,
             "remind_after": DAY, "escalate_to": "platform-admin"},
            {"name": "Platform team", "approvers": "platform-admin", "deadline": 3 * DAY,
             "remind_after": DAY},
        ],
    ),
    "quota.raise": (
        "Quota raise",
        "More CPU, memory, pods or storage than the cluster policy grants by itself.",
        [{"name": "Platform team", "approvers": "platform-admin", "deadline": 3 * DAY,
          "remind_after": DAY}],
    ),
    "space.renew.beyond_cap": (
        "Renewal past the cap",
        "Keeping a test space beyond the renewals the policy allows.",
        [{"name": "Team lead", "approvers": "approver", "deadline": 3 * DAY,
          "remind_after": DAY, "escalate_to": "platform-admin"}],
    ),
}  # fmt: skip
BEAT_NAME = "approvals: reminders, escalations and expiries"
BEAT_TASK = "workers.approvals.process_deadlines"


def ensure_default_workflows(group_model=None, definition_model=None, step_model=None) -> None:
    """Create the default workflows that are missing (existing ones are left as edited)."""
    group_model = group_model or Group
    definition_model = definition_model or WorkflowDefinition
    step_model = step_model or WorkflowStep
    for name in ("approver", "platform-admin"):
        group_model.objects.get_or_create(name=name)
    for kind, (name, description, steps) in DEFAULT_WORKFLOWS.items():
        definition, created = definition_model.objects.get_or_create(
            kind=kind, defaults={"name": name, "description": description}
        )
        if created:
            for order, step in enumerate(steps, start=1):
                step_model.objects.create(definition=definition, order=order, **step)


def ensure_beat_schedule(interval_model=None, task_model=None) -> None:
    """The every-minute beat entry, updated in place by name (never deleted and recreated)."""
    interval_model = interval_model or IntervalSchedule
    task_model = task_model or PeriodicTask
    every_minute, _ = interval_model.objects.get_or_create(every=1, period="minutes")
    task_model.objects.update_or_create(
        name=BEAT_NAME,
        defaults={"task": BEAT_TASK, "interval": every_minute, "expire_seconds": 55,
                  "enabled": True},
    )  # fmt: skip

"""Space lifecycle tasks: the hourly expiry reminders and the reminder emails they queue."""

from celery import shared_task


@shared_task(name="workers.spaces.send_expiry_reminders", expires=3300, ignore_result=True)
def send_expiry_reminders() -> dict:
    """Remind owners and admins of test spaces expiring within a window (beat, hourly)."""
    from apps.audit.actors import Actor
    from apps.spaces.reminders import TASK_NAME, do_send_expiry_reminders

    return do_send_expiry_reminders(actor=Actor.system(TASK_NAME))


@shared_task(name="workers.spaces.send_reminder_email", ignore_result=True)
def send_reminder_email(reminder_id: int, user_id: int) -> int:
    """Email one owner or admin one reminder, in their language; failures are logged."""
    from apps.spaces.reminders import send_reminder_email as send

    return send(reminder_id, user_id)

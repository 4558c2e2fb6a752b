"""Approval engine tasks: run a decided request's handler once; sweep deadlines each minute."""

from celery import shared_task

from apps.approvals import services
from apps.approvals.notifications import send_emails


@shared_task(name="workers.approvals.run_request_handler")
def run_request_handler(request_id: int) -> bool:
    """Run on_approved / on_rejected of a terminal request; a duplicate delivery does nothing."""
    return services.do_run_handler(request_id)


@shared_task(name="workers.approvals.process_deadlines", expires=55)
def process_deadlines() -> dict:
    """Reminders, escalations and expiries of pending requests (beat, every minute)."""
    return services.do_process_deadlines()


@shared_task(name="workers.approvals.send_notification_emails")
def send_notification_emails(subject: str, body: str, recipients: list[str]) -> int:
    """Email approval notifications, one message per recipient; failures are logged."""
    return send_emails(subject, body, recipients)

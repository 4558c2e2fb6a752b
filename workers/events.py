"""Event center tasks: a delivery to a sink (notify), retention, memory samples, resolved
notices (bulk beat entries)."""

from celery import shared_task


@shared_task(name="workers.events.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    from apps.events.delivery import deliver as run

    return run(delivery_id)


@shared_task(name="workers.events.prune", expires=3000, ignore_result=True)
def prune() -> dict:
    from apps.events.services import do_prune_events

    return do_prune_events()


@shared_task(name="workers.events.sample_memory", expires=55, ignore_result=True)
def sample_memory() -> int:
    from apps.events.memory import sample_all

    return sample_all()


@shared_task(name="workers.events.resolve", expires=55, ignore_result=True)
def resolve() -> int:
    from apps.events.alerts import resolve_quiet

    return resolve_quiet()

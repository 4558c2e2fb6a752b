"""The event center's beat entries: retention (hourly), memory samples and resolved
notices (every minute); the watcher also resolves on its own, the beat is the backstop."""

from apps.core.schedules import ensure_interval

SCHEDULES = (
    ("events: prune events past retention", "workers.events.prune", 3600),
    ("events: sample app memory", "workers.events.sample_memory", 60),
    ("events: resolve quiet alerts", "workers.events.resolve", 60),
)


def ensure_events_schedules(interval_model=None, task_model=None) -> None:
    for name, task, seconds in SCHEDULES:
        ensure_interval(name, task, seconds, interval_model=interval_model, task_model=task_model)

"""The three Celery queues and which task goes where (docs/operations.md, "Queues").

A person waiting for a change must not queue behind the platform's own chores, so tasks
are routed by name:

- `interactive`: what someone is waiting for: the first targeted reconcile of a change,
  approval handlers, operations a person started, the first probe of a new cluster;
- `bulk`: follow-up looks of a rollout, full passes, sweeps, probes, rollups, analytics
  drains, audit sealing and archives;
- `notify`: mail (and later webhooks): slow remote servers never hold up the rest.

Every worker consumes all three, interactive first (the Redis transport's `priority`
queue order: a worker takes from `bulk` only when `interactive` is empty); `make run`
adds a worker that consumes `interactive` alone, so a running full pass or a due
follow-up never stands between a person and their change. No Django imports: settings
read this module.
"""

INTERACTIVE = "interactive"
BULK = "bulk"
NOTIFY = "notify"
# In the order a worker serves them (`-Q` keeps it; the transport option below honours it).
ALL = (INTERACTIVE, BULK, NOTIFY)
WORKER_QUEUES = ",".join(ALL)  # celery worker -Q interactive,bulk,notify

# Task name (or glob) -> queue; a caller may still choose per message (`enqueue(queue=)`),
# as a rollout's follow-up looks and the sweeper's re-sends do.
ROUTES: dict[str, dict[str, str]] = {
    "workers.reconcile.reconcile_app": {"queue": INTERACTIVE},  # follow-ups: queue=bulk
    "workers.reconcile.reconcile_space": {"queue": INTERACTIVE},  # follow-ups: queue=bulk
    "workers.reconcile.reconcile_cluster": {"queue": BULK},  # a full pass, even on request
    "workers.reconcile.reconcile_all": {"queue": BULK},
    "workers.approvals.run_request_handler": {"queue": INTERACTIVE},
    "workers.approvals.process_deadlines": {"queue": BULK},
    "workers.approvals.send_notification_emails": {"queue": NOTIFY},
    "workers.operations.run_operation": {"queue": INTERACTIVE},  # the sweeper's: queue=bulk
    "workers.operations.sweep": {"queue": BULK},
    "workers.clusters.probe_cluster": {"queue": INTERACTIVE},  # the periodic fan-out: bulk
    "workers.clusters.probe_all_clusters": {"queue": BULK},
    "workers.diagnostics.*": {"queue": INTERACTIVE},
    "workers.analytics.*": {"queue": BULK},
    "workers.audit.*": {"queue": BULK},
    "workers.lifecycle.*": {"queue": BULK},  # the expiry sweep (its operations: bulk too)
    "workers.backups.*": {"queue": BULK},  # retention
    "workers.terminal.*": {"queue": BULK},  # stale sessions, recording retention
    "workers.ipam.*": {"queue": BULK},  # the schedule's fan-out (its runs: operations on bulk)
    "workers.registries.*": {"queue": BULK},  # the schedule (its runs and GCs: operations)
    "workers.spaces.send_expiry_reminders": {"queue": BULK},
    "workers.spaces.send_reminder_email": {"queue": NOTIFY},
    "workers.events.deliver": {"queue": NOTIFY},  # one notification to one sink
    "workers.events.*": {"queue": BULK},  # retention, memory samples, resolved notices
}

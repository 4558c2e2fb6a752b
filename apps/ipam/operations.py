"""The operation kind of IPAM cleanup: "ipam.run", one step that runs the cluster's scan
(and release) under its singleton lock. Safe to run again: a resumed step scans afresh,
and a release re-reads every block before it writes."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.actors import Actor
from apps.ipam.choices import RunState, Trigger
from apps.ipam.services import RUN_KIND, run_cluster
from apps.operations.registry import Step, register


class RunFailed(Exception):
    """The run failed; its error in words becomes the operation's error."""


def _run(operation) -> dict:
    if operation.cluster is None:
        raise RunFailed(_("The cluster of this IPAM run no longer exists."))
    actor = Actor(operation.actor_type, operation.actor_user_id, operation.actor_name,
                  operation.actor_detail)  # fmt: skip
    run = run_cluster(operation.cluster, trigger=operation.params.get("trigger", Trigger.SCHEDULE),
                      actor=actor, operation=operation)  # fmt: skip
    if run.state == RunState.FAILED:
        raise RunFailed(run.error)
    return {"run": run.pk, "state": run.state, "counts": run.counts}


@register(RUN_KIND, label=gettext_lazy("Calico IPAM scan"))
def ipam_run(operation) -> list[Step]:
    return [Step(gettext_lazy("Scan and release"), _run)]

"""The operation kinds of registries: "registries.run" (decide, then — in delete mode —
carry out the decisions of that very preview) and "registries.gc". Steps are safe to run
again: a resumed step 1 decides afresh; step 2 deletes by digest and a 404 is done."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.actors import Actor
from apps.operations.registry import Step, register
from apps.registries.choices import RunMode, RunState
from apps.registries.models import Registry, RegistryRun
from apps.registries.services import GC_KIND, RUN_KIND, carry_out, decide_registry, gc_registry


class RunFailed(Exception):
    """The run failed; its error in words becomes the operation's error."""


def _actor(operation) -> Actor:
    return Actor(operation.actor_type, operation.actor_user_id, operation.actor_name,
                 operation.actor_detail)  # fmt: skip


def _registry(operation) -> Registry:
    registry = Registry.objects.filter(pk=operation.params.get("registry")).first()
    if registry is None:
        raise RunFailed(_("The registry of this run no longer exists."))
    return registry


def _decide(operation) -> dict:
    run = decide_registry(_registry(operation), actor=_actor(operation), operation=operation)
    if run.state == RunState.FAILED:
        raise RunFailed(run.error)
    return {"preview": run.pk, "preview_state": run.state, "counts": run.counts}


def _delete(operation) -> dict:
    if operation.params.get("mode") != RunMode.DELETE:
        return {"deleted": 0}
    preview = RegistryRun.objects.get(pk=operation.result["preview"])
    run = carry_out(preview, actor=_actor(operation), operation=operation)
    if run.state == RunState.FAILED:
        raise RunFailed(run.error)
    return {"run": run.pk, "state": run.state, "deleted": run.counts.get("deleted", 0)}


def _gc(operation) -> dict:
    run = gc_registry(_registry(operation), actor=_actor(operation), operation=operation)
    if run.state == RunState.FAILED:
        raise RunFailed(run.error)
    return {"run": run.pk, "bytes_reclaimed": run.bytes_reclaimed}


@register(RUN_KIND, label=gettext_lazy("Registry retention"))
def registry_run(operation) -> list[Step]:
    return [Step(gettext_lazy("Decide (dry run report)"), _decide),
            Step(gettext_lazy("Delete what the report decided"), _delete)]  # fmt: skip


@register(GC_KIND, label=gettext_lazy("Registry garbage collection"))
def registry_gc(operation) -> list[Step]:
    return [Step(gettext_lazy("Collect garbage"), _gc)]

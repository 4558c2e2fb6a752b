"""The approval engine's operation kind: run a decided request's handler, once."""

from django.utils.translation import gettext_lazy as _

from apps.approvals.services import do_run_handler
from apps.operations.registry import Step, register


def _run(operation) -> dict:
    # do_run_handler claims the request with a conditional UPDATE in the handler's own
    # transaction: a worker killed mid-handler leaves it unclaimed, a second run does nothing.
    return {"ran": do_run_handler(operation.params["request_id"])}


@register("approvals.run_handler", label=_("Approval handler"))
def run_handler(operation) -> list[Step]:
    return [Step(_("Run the request's handler"), _run)]

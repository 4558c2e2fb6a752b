"""Every write to apps: do_<verb>_app(..., *, actor).

Each follows the house order: permission check (a refusal is audited) → validate (a
ValidationError naming the field; nothing written, nothing sent to any cluster) → one
transaction → audit record → `transaction.on_commit` enqueues the apply task.

Split by concern: lifecycle (create … placement), canary, adoption; shared helpers in
_common. Import from this package: `from apps.workloads import services`.
"""

from apps.workloads.services._common import WRITABLE_SPACE_STATES
from apps.workloads.services.adoption import do_adopt_deployment
from apps.workloads.services.canary import (
    do_abort_canary,
    do_promote_canary,
    do_set_canary_weight,
    do_start_canary,
)
from apps.workloads.services.lifecycle import (
    do_clone_app,
    do_create_app,
    do_delete_app,
    do_deploy_app,
    do_edit_app,
    do_pause_app,
    do_restart_app,
    do_resume_app,
    do_retry_app,
    do_rollback_app,
    do_scale_app,
    do_set_placement,
)

__all__ = [
    "WRITABLE_SPACE_STATES",
    "do_abort_canary",
    "do_adopt_deployment",
    "do_clone_app",
    "do_create_app",
    "do_delete_app",
    "do_deploy_app",
    "do_edit_app",
    "do_pause_app",
    "do_promote_canary",
    "do_restart_app",
    "do_resume_app",
    "do_retry_app",
    "do_rollback_app",
    "do_scale_app",
    "do_set_canary_weight",
    "do_set_placement",
    "do_start_canary",
]

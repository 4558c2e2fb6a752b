"""Space tasks: provision, sync (members, quota) and delete. Thin: ids in, one service."""

from django.conf import settings

from k2cloud.celery import app


@app.task(name="workers.spaces.provision_space", acks_late=True)
def provision_space(space_id: int) -> str | None:
    """Create or update the space's namespaces and objects on every cluster."""
    from apps.spaces.provisioning import do_provision_space

    return do_provision_space(space_id)


@app.task(name="workers.spaces.sync_space", acks_late=True)
def sync_space(space_id: int) -> str | None:
    """Re-apply an active space after a member, owner or quota change (same service)."""
    from apps.spaces.provisioning import do_provision_space

    return do_provision_space(space_id)


@app.task(name="workers.spaces.delete_space", bind=True, acks_late=True, max_retries=None)
def delete_space(self, space_id: int) -> bool:
    """Delete the namespaces, then check back (without sleeping) until they are gone."""
    from django.utils.translation import gettext as _

    from apps.spaces.provisioning import do_fail_deletion, do_finish_deletion

    if do_finish_deletion(space_id):
        return True
    interval = settings.K2_SPACES_DELETE_POLL_SECONDS
    attempts = settings.K2_SPACES_DELETE_POLL_ATTEMPTS
    if self.request.retries >= attempts:
        do_fail_deletion(
            space_id,
            _("The namespaces were still there after %(n)d checks; delete the space again.")
            % {"n": attempts},
        )
        return False
    raise self.retry(countdown=interval, max_retries=attempts + 1)

"""Portal: the Backups card of the space page (an HTMX partial), "Back up now" and the
restore page (a form: name and cluster; the restore is an operation with progress)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.backups import selectors, services
from apps.backups.forms import RestoreForm
from apps.backups.permissions import can_backup_space, can_restore_backup
from apps.backups.restore import do_restore_backup, suggested_slug
from apps.core.forms import add_service_errors, error_text
from apps.spaces.choices import LIVE_STATES
from apps.spaces.selectors import get_space_or_404

CARD_ROWS = 10


@login_required
def space_card(request, slug: str):
    space = get_space_or_404(request.user, slug)
    backups = list(selectors.backups_of_space(space)[:CARD_ROWS])
    return render(request, "backups/_space_backups_card.html", {
        "space": space, "backups": backups, "can_backup": space.state in LIVE_STATES and can_backup_space(request.user, space),
        "can_restore": bool(backups) and can_restore_backup(request.user, backups[0]),
    })  # fmt: skip


@login_required
@require_POST
def backup_now(request, slug: str):
    space = get_space_or_404(request.user, slug)
    try:
        operation = services.do_backup_space(space, actor=Actor.from_request(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Backup started (operation #%(id)s).") % {"id": operation.pk})
    return redirect(reverse("spaces:detail", args=[space.slug]))


@login_required
def restore(request, pk: int):
    """GET: the form (the old name when free, the old cluster); POST: start the restore and
    follow its progress on the operation's page."""
    backup = selectors.get_backup_or_404(request.user, pk)
    if not can_restore_backup(request.user, backup):
        raise PermissionDenied(_("Only the space's former owners and platform admins restore "
                                 "its backups."))  # fmt: skip
    if request.method == "POST":
        form = RestoreForm(request.POST)
        if form.is_valid():
            try:
                operation = do_restore_backup(
                    backup, actor=Actor.from_request(request), slug=form.cleaned_data["slug"],
                    cluster=form.cleaned_data["cluster"],
                )  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Restore started (operation #%(id)s).")
                                 % {"id": operation.pk})  # fmt: skip
                return redirect(reverse("operations:detail", args=[operation.pk]))
    else:
        form = RestoreForm(initial={"slug": suggested_slug(backup),
                                    "cluster": (backup.cluster_names or [""])[0]})  # fmt: skip
    return render(request, "backups/restore.html", {"backup": backup, "form": form})

"""Portal: the Backups card of the space page (an HTMX partial) and "Back up now"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.backups import selectors, services
from apps.backups.permissions import can_backup_space
from apps.core.forms import error_text
from apps.spaces.selectors import get_space_or_404

CARD_ROWS = 10


@login_required
def space_card(request, slug: str):
    space = get_space_or_404(request.user, slug)
    backups = list(selectors.backups_of_space(space)[:CARD_ROWS])
    return render(request, "backups/_space_backups_card.html", {
        "space": space, "backups": backups, "can_backup": can_backup_space(request.user, space),
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

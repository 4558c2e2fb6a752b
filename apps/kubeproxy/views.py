"""The user's k2ctl sessions on their access-tokens page (loaded into it with HTMX):
listed with their expiry and last use, and revocable."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.kubeproxy import tokens
from apps.kubeproxy.models import CliSession


@login_required
def sessions(request):
    rows = (
        CliSession.objects.filter(
            user=request.user, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )  # fmt: skip
        .select_related("token")
        .order_by("-created_at")
    )
    return render(request, "kubeproxy/sessions.html", {"sessions": rows})


@login_required
@require_POST
def revoke(request, pk: int):
    session = get_object_or_404(CliSession, pk=pk, user=request.user)
    tokens.revoke_session(session, actor=Actor.from_request(request))
    messages.success(request, _("k2ctl session %(prefix)s… revoked: its open streams close "
                                "within a minute.") % {"prefix": session.prefix})  # fmt: skip
    return redirect("accounts:tokens")

"""The user's k2ctl sessions on their access-tokens page (loaded into it with HTMX):
listed with their expiry and last use, and revocable."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit.actors import Actor
from apps.core.api.throttling import portal_wait
from apps.kubeproxy import device, tokens
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


@login_required
def device_login(request):
    """Confirm or deny a k2ctl device login: enter (or follow a link with) the code k2ctl
    printed, see which host asked, decide. Code entries share a per-person budget."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    context: dict = {"code": code}
    if code:
        wait = portal_wait(request, "k2ctl-device-confirm")
        if wait is not None:
            messages.error(request, _("Too many codes entered: try again in %(s)d seconds.")
                           % {"s": wait})  # fmt: skip
            return render(request, "kubeproxy/device.html", {"code": ""}, status=429)
        login = device.pending(code)
        if login is None:
            context["error"] = _("No k2ctl login waits for this code: it may have expired "
                                 "(10 minutes) or been used. Run `k2ctl login` again.")  # fmt: skip
        elif request.method == "POST" and request.POST.get("decision") in ("confirm", "deny"):
            approve = request.POST["decision"] == "confirm"
            try:
                device.decide(login, actor=Actor.from_request(request), approve=approve)
            except device.DeviceError as exc:
                context["error"] = str(exc)
            else:
                if approve:
                    messages.success(request, _("k2ctl on %(host)s is logged in as you.")
                                     % {"host": login.client or login.address})  # fmt: skip
                else:
                    messages.info(request, _("The k2ctl login was denied."))
                return redirect("accounts:tokens")
        else:
            context["login"] = login
    return render(request, "kubeproxy/device.html", context)

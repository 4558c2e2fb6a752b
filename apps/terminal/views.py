"""Portal pages of the web terminal: the terminal itself (xterm.js over the websocket of
apps/terminal/consumers.py), the reason in words when it may not open, the sessions list
with the command-log search, a session's page with its commands and the recording's replay
(asciinema-player), and the recording for the player."""

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.backups.store import StoreError
from apps.core.crypto import DecryptionError
from apps.terminal import recording, selectors
from apps.terminal.access import SHELLS, Target, decide
from apps.terminal.forms import SessionFilterForm
from apps.terminal.permissions import can_use_terminals
from apps.terminal.sessions import LimitReached, check_limits

PAGE_SIZE = 25
# xterm.js and asciinema-player size their cells with <style> elements they create, and the
# player decodes recordings in WebAssembly: these two pages allow exactly that (scripts
# still come from this server only, never inline).
TERMINAL_CSP = csp_update({"style-src": ["'unsafe-inline'"]})
REPLAY_CSP = csp_update({"style-src": ["'unsafe-inline'"], "script-src": ["'wasm-unsafe-eval'"]})


def _target(request, space: str, app: str) -> Target:
    q = request.GET
    return Target(space_slug=space, app_name=app, cluster_name=q.get("cluster", ""),
                  pod=q.get("pod", ""), container=q.get("container", ""),
                  shell=q.get("shell", "sh"))  # fmt: skip


def _refusal(request, target: Target) -> str:
    decision = decide(request.user, target)
    if not decision.allowed:
        return decision.reason
    try:
        check_limits(request.user, decision.space)
    except LimitReached as exc:
        return str(exc)
    return ""


@login_required
@TERMINAL_CSP
def terminal(request, space: str, app: str):
    """The full-width terminal; when it may not open, the page says why (403)."""
    target = _target(request, space, app)
    reason = _refusal(request, target)
    context = {
        "target": target, "reason": reason, "shells": list(SHELLS),
        "ws_path": f"/ws/terminal/{space}/{app}/",
        "check_url": reverse("terminal:check", args=[space, app]),
        "app_url": reverse("workloads:detail", args=[space, app]),
    }  # fmt: skip
    return render(request, "terminal/terminal.html", context, status=403 if reason else 200)


@login_required
def check(request, space: str, app: str):
    """Why a terminal would be refused now ("" when it would open): the page's script asks
    when the websocket closes before it opened (browsers do not see refusal codes)."""
    reason = _refusal(request, _target(request, space, app))
    return JsonResponse({"allowed": not reason, "reason": reason})


def _require_terminal_user(request) -> None:
    if not can_use_terminals(request.user):
        raise PermissionDenied(_("Terminal sessions are for employees and platform admins."))


@login_required
def session_list(request):
    _require_terminal_user(request)
    form = SessionFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.session_list_for(
        request.user, query=data.get("q", ""), space=data.get("space", ""),
        person=data.get("user", ""), state=data.get("state", ""),
    )  # fmt: skip
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "terminal/sessions.html",
                  {"form": form, "page": page, "query": query.urlencode(),
                   "q": data.get("q", "")})  # fmt: skip


@login_required
@REPLAY_CSP
def session_detail(request, key):
    _require_terminal_user(request)
    session = selectors.get_session_or_404(request.user, key)
    commands = session.commands.all()[:2000]
    return render(request, "terminal/session.html", {
        "session": session, "commands": commands, "q": request.GET.get("q", ""),
        "cast_url": reverse("terminal:recording", args=[session.key]),
        "has_recording": bool(session.recording_key) and not session.recording_deleted_at,
    })  # fmt: skip


@login_required
def session_recording(request, key):
    """The asciicast of a session, decrypted for the player (its viewers only)."""
    _require_terminal_user(request)
    session = selectors.get_session_or_404(request.user, key)
    if session.recording_deleted_at:
        return HttpResponse(_("This recording was deleted after its retention period."),
                            status=410, content_type="text/plain; charset=utf-8")  # fmt: skip
    try:
        text = recording.read_cast_text(session)
    except (StoreError, DecryptionError) as exc:
        return HttpResponse(str(exc), status=502, content_type="text/plain; charset=utf-8")
    response = HttpResponse(text, content_type="application/x-asciicast; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response

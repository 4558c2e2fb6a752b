"""Reads of terminal sessions for the portal: the filtered list and one session."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from apps.terminal.models import TerminalCommand, TerminalSession
from apps.terminal.permissions import sessions_visible_to


def session_list_for(user, *, query: str = "", space: str = "", person: str = "",
                     state: str = "") -> QuerySet[TerminalSession]:  # fmt: skip
    """Sessions `user` may see, newest first; `query` searches the command log (and pod,
    container, app names), `state` is "open" or "ended"."""
    rows = sessions_visible_to(user).annotate(command_count=Count("commands"))
    if query:
        matching = TerminalCommand.objects.filter(text__icontains=query).values("session_id")
        rows = rows.filter(
            Q(pk__in=matching) | Q(pod__icontains=query) | Q(app_name__icontains=query)
            | Q(container__icontains=query)
        )  # fmt: skip
    if space:
        rows = rows.filter(space_slug__icontains=space)
    if person:
        rows = rows.filter(user__username__icontains=person)
    if state == "open":
        rows = rows.filter(ended_at__isnull=True)
    elif state == "ended":
        rows = rows.filter(ended_at__isnull=False)
    return rows.order_by("-started_at", "-id")


def get_session_or_404(user, key) -> TerminalSession:
    session = sessions_visible_to(user).filter(key=key).first()
    if session is None:
        raise Http404(_("No terminal session %(key)s that you can see.") % {"key": key})
    return session

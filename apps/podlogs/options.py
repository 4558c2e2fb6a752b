"""What a reader of logs asks for, the same for the portal's websocket and the API stream:
validated once here, so a bad value is refused naming its field before any cluster call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils.translation import gettext as _

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
DURATION_RE = re.compile(r"^(\d{1,6})([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
KNOWN = {"cluster", "pod", "container", "tail", "since", "timestamps", "previous", "follow"}
TRUE, FALSE = {"1", "true", "on", "yes"}, {"", "0", "false", "off", "no"}


class OptionError(ValueError):
    """A refused option: `field` names it, the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class LogOptions:
    """One reading of an app's logs: which pods (all, by default), how far back, and how."""

    cluster: str = ""
    pod: str = ""
    container: str = ""
    tail: int = 200
    since_seconds: int | None = None
    since_time: datetime | None = None
    timestamps: bool = False
    previous: bool = False
    follow: bool = True

    def query(self, container: str) -> list[tuple[str, str]]:
        """The `pods/{name}/log` query for one container."""
        query = [("container", container), ("tailLines", str(self.tail))]
        if self.since_seconds is not None:
            query.append(("sinceSeconds", str(self.since_seconds)))
        elif self.since_time is not None:
            query.append(("sinceTime", self.since_time.strftime("%Y-%m-%dT%H:%M:%SZ")))
        if self.timestamps:
            query.append(("timestamps", "true"))
        if self.previous:
            query.append(("previous", "true"))
        elif self.follow:
            query.append(("follow", "true"))
        return query


def _flag(params, name: str, default: bool) -> bool:
    value = str(params.get(name, "true" if default else "false")).strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise OptionError(name, _("Say true or false."))


def _name(params, name: str) -> str:
    value = str(params.get(name, "")).strip()
    if value and not NAME_RE.match(value):
        raise OptionError(name, _("Not a Kubernetes name."))
    return value


def parse(params, *, strict: bool = True) -> LogOptions:
    """LogOptions from query parameters (a QueryDict or a dict); OptionError names the
    field. `strict` refuses unknown parameters (the API); the portal page ignores its own."""
    if strict:
        unknown = sorted(set(params) - KNOWN)
        if unknown:
            raise OptionError(unknown[0], _("Unknown parameter."))
    raw_tail = str(params.get("tail", "")).strip() or str(settings.K2_LOGS_DEFAULT_TAIL)
    if not raw_tail.isdigit() or not 1 <= int(raw_tail) <= settings.K2_LOGS_MAX_TAIL:
        raise OptionError("tail", _("Give a number of lines from 1 to %(max)s.")
                          % {"max": settings.K2_LOGS_MAX_TAIL})  # fmt: skip
    since = str(params.get("since", "")).strip()
    since_seconds = since_time = None
    if since:
        match = DURATION_RE.match(since)
        if match:
            since_seconds = int(match[1]) * UNIT_SECONDS[match[2]]
        else:
            try:
                since_time = datetime.fromisoformat(since.replace("Z", "+00:00"))
            except ValueError:
                raise OptionError("since", _(
                    "Give a duration such as 15m, 2h or 1d, or a time such as "
                    "2026-01-31T08:00:00Z.")) from None  # fmt: skip
            if since_time.tzinfo is None:
                since_time = since_time.replace(tzinfo=UTC)
    previous = _flag(params, "previous", False)
    return LogOptions(
        cluster=_name(params, "cluster"), pod=_name(params, "pod"),
        container=_name(params, "container"), tail=int(raw_tail), since_seconds=since_seconds,
        since_time=since_time, timestamps=_flag(params, "timestamps", False), previous=previous,
        follow=_flag(params, "follow", True) and not previous,
    )  # fmt: skip

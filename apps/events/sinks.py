"""Alert sinks: a registry of backends by kind. Each validates its target when a sink is
saved and sends one notification; HTTP backends render their service's message format
(generic JSON signed with HMAC-SHA256, DingTalk and WeCom robots, Slack-compatible)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.request
from collections.abc import Callable
from urllib.parse import quote_plus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from apps.events.urlguard import check_url

BACKENDS: dict[str, type[Backend]] = {}


def register(kind: str) -> Callable[[type[Backend]], type[Backend]]:
    def add(cls: type[Backend]) -> type[Backend]:
        BACKENDS[kind] = cls
        return cls

    return add


def backend(kind: str) -> Backend:
    return BACKENDS[kind]()


class SendError(Exception):
    pass


class Backend:
    def validate(self, target: str) -> str:
        raise NotImplementedError

    def send(self, target: str, secret: str, note) -> None:
        raise NotImplementedError


def _text(note) -> str:
    p = note.payload
    lines = [note.title, "", f"{p.get('type')} {p.get('reason')} x{p.get('count')}",
             p.get("message") or "", f"{p.get('first_seen')} .. {p.get('last_seen')}"]  # fmt: skip
    return "\n".join(lines)


@register("email")
class EmailBackend(Backend):
    def validate(self, target: str) -> str:
        addresses = [a.strip() for a in target.split(",") if a.strip()]
        if not addresses:
            raise ValidationError({"target": [_("Enter at least one email address.")]})
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError as exc:
                raise ValidationError(
                    {"target": [_("%(a)s is not an email address.") % {"a": address}]}
                ) from exc
        return ", ".join(addresses)

    def send(self, target: str, secret: str, note) -> None:
        send_mail(note.title, _text(note), None, [a.strip() for a in target.split(",")])


class HttpBackend(Backend):
    def validate(self, target: str) -> str:
        return check_url(target.strip(), "target")

    def body(self, note) -> dict:
        raise NotImplementedError

    def url(self, target: str, secret: str) -> str:
        return target

    def headers(self, data: bytes, secret: str) -> dict:
        return {}

    def send(self, target: str, secret: str, note) -> None:
        check_url(target, "target")  # again: the name may resolve elsewhere now
        data = json.dumps(self.body(note), ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            self.url(target, secret), data=data, method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "K2Cloud-events",
                     **self.headers(data, secret)},
        )  # fmt: skip
        timeout = settings.K2_EVENTS_SINK_TIMEOUT
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
                answer = resp.read(65536)
                status = resp.status
        except OSError as exc:
            raise SendError(str(exc)[:500]) from exc
        if not 200 <= status < 300:
            raise SendError(f"HTTP {status}")
        self.check_answer(answer)

    def check_answer(self, answer: bytes) -> None:
        """Robots answer 200 with an error code in the body."""
        try:
            doc = json.loads(answer or b"{}")
        except ValueError:
            return
        if isinstance(doc, dict) and doc.get("errcode") not in (None, 0):
            raise SendError(f"errcode {doc.get('errcode')}: {doc.get('errmsg', '')}"[:500])


@register("webhook")
class WebhookBackend(HttpBackend):
    def body(self, note) -> dict:
        return {"title": note.title, **note.payload}

    def headers(self, data: bytes, secret: str) -> dict:
        if not secret:
            return {}
        signature = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        return {"X-K2-Signature": f"sha256={signature}"}


@register("dingtalk")
class DingTalkBackend(HttpBackend):
    def body(self, note) -> dict:
        return {"msgtype": "markdown", "markdown": {"title": note.title[:60],
                "text": f"### {note.title}\n\n{_text(note)}"}}  # fmt: skip

    def url(self, target: str, secret: str) -> str:
        if not secret:
            return target
        stamp = str(int(time.time() * 1000))
        digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
        sign = quote_plus(base64.b64encode(digest))
        return f"{target}{'&' if '?' in target else '?'}timestamp={stamp}&sign={sign}"


@register("wecom")
class WeComBackend(HttpBackend):
    def body(self, note) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": f"**{note.title}**\n{_text(note)}"}}


@register("slack")
class SlackBackend(HttpBackend):
    def body(self, note) -> dict:
        return {"text": _text(note)}

"""The demo mailbox: mails K2Cloud wrote to var/mail/ (the file backend `make run` uses),
read back for the person they were sent to, so a newcomer can read the approval mails.

Django's file backend appends each message of a connection to one file, separated by a
line of 79 dashes; the files are read newest first and parsed with the standard library.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

SEPARATOR = "\n" + "-" * 79 + "\n"
LIMIT = 100


@dataclass(frozen=True)
class Mail:
    key: str
    sender: str
    to: list[str]
    subject: str
    date: str
    body: str


def enabled() -> bool:
    """The mailbox exists only where mail goes to files (the demo), never in production."""
    return settings.EMAIL_BACKEND.endswith(".filebased.EmailBackend")


def _parse(key: str, raw: str) -> Mail | None:
    message = email.message_from_string(raw.strip("\n"), policy=email.policy.default)
    if not message["Subject"] and not message["To"]:
        return None
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    to = [a.strip() for a in str(message["To"] or "").split(",") if a.strip()]
    return Mail(key=key, sender=str(message["From"] or ""), to=to,
                subject=str(message["Subject"] or ""), date=str(message["Date"] or ""),
                body=body)  # fmt: skip


def mails_for(user, *, everyone: bool = False) -> list[Mail]:
    """The newest mails (at most LIMIT) addressed to `user`'s email, or all with `everyone`."""
    if not enabled():
        return []
    folder = Path(settings.EMAIL_FILE_PATH)
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    address = (user.email or "").lower()
    found: list[Mail] = []
    for path in files:
        chunks = path.read_text(encoding="utf-8", errors="replace").split(SEPARATOR)
        for index, raw in reversed(list(enumerate(chunks))):
            mail = _parse(f"{path.stem}-{index}", raw)
            if mail is None:
                continue
            if everyone or any(address and address in a.lower() for a in mail.to):
                found.append(mail)
            if len(found) >= LIMIT:
                return found
    return found

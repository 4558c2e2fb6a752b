"""Who is acting: the one type every service takes as `actor`, built at the edge.

    Actor.from_request(request)           a view, an API view or a consumer: the signed-in
                                          person, through their API token when they used one
    Actor.cli("manage.py register_cluster")  a management command, naming the shell operator
    Actor.system("workers.clusters.probe")   a Celery task or the platform acting on its own
    Actor.for_user(user)                  a person in code that has no request (tests, signals)

`actor.person` is the one way to get the User behind an actor (None for the system, the
command line and anonymous callers); `actor.is_system` tells whether the platform itself
acts (tasks and commands, which act with every right: whoever runs them has the shell).
The audit trail stores type, person, name, detail, channel and token of every actor.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from rest_framework.request import Request

from apps.accounts.models import PersonalAccessToken
from apps.audit.choices import ActorType, Channel

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Actor:
    """The acting party: a person (optionally through a token), the system, or nobody."""

    type: str
    user_id: int | None = None
    name: str = ""
    detail: str = ""
    channel: str = Channel.TASK
    token_id: int | None = None
    # The person, when known: carried along so that `person` costs no query.
    user: User | None = field(default=None, compare=False, repr=False)

    # --- built at the edges -------------------------------------------------------------
    @classmethod
    def for_user(cls, user, *, channel: str = Channel.PORTAL) -> Actor:
        """A person acting as themself (anonymous when `user` is not signed in)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return cls.anonymous(channel=channel)
        return cls(ActorType.USER, user.pk, user.get_username(), "", channel, None, user)

    @classmethod
    def for_token(cls, token) -> Actor:
        """A person acting through one of their personal access tokens (scripts, k2ctl)."""
        user = token.user
        return cls(
            ActorType.TOKEN, user.pk, user.get_username(), f"{token.name} ({token.prefix}…)",
            Channel.TOKEN, token.pk, user,
        )  # fmt: skip

    @classmethod
    def system(cls, task_name: str, *, detail: str = "") -> Actor:
        """A Celery task or the platform acting on its own, e.g. Actor.system("workers.reconcile")."""
        return cls(ActorType.SYSTEM, None, task_name[:150], detail[:200], Channel.TASK)

    @classmethod
    def cli(cls, command: str, *, detail: str = "") -> Actor:
        """A management command: named by the command, the shell operator in the detail."""
        operator = _shell_operator()
        said = f"operator {operator}" if operator else ""
        return cls(
            ActorType.SYSTEM, None, command[:150], "; ".join(filter(None, [said, detail]))[:200],
            Channel.CLI,
        )  # fmt: skip

    @classmethod
    def anonymous(cls, claimed_username: str = "", *, channel: str = Channel.PORTAL) -> Actor:
        return cls(ActorType.ANONYMOUS, None, claimed_username[:150], "", channel)

    @classmethod
    def from_request(cls, request) -> Actor:
        """The person of a portal page, an API call or a websocket scope.

        An API call authenticated by a personal access token acts as that token (so
        scripts are told apart from the person's own clicks); an API call with the
        session is the `api` channel; anything else (pages, consumers) the `portal`.
        """
        token = getattr(request, "k2_token", None) or getattr(request, "auth", None)
        if isinstance(token, PersonalAccessToken):
            return cls.for_token(token)
        if isinstance(request, dict):  # a Channels scope
            return cls.for_user(request.get("user"), channel=Channel.PORTAL)
        channel = Channel.API if _is_api_request(request) else Channel.PORTAL
        return cls.for_user(getattr(request, "user", None), channel=channel)

    # --- read by services ---------------------------------------------------------------
    @property
    def person(self) -> User | None:
        """The User acting (directly or through a token); None for system and anonymous."""
        if self.user_id is None:
            return None
        if self.user is None:
            found = get_user_model().objects.filter(pk=self.user_id).first()
            object.__setattr__(self, "user", found)
        return self.user

    @property
    def is_system(self) -> bool:
        """The platform itself: a task or a management command."""
        return self.type == ActorType.SYSTEM

    def __str__(self) -> str:
        return f"{self.name} [{self.detail}]" if self.detail else self.name or str(self.type)


def _is_api_request(request: Any) -> bool:
    return isinstance(request, Request)


def _shell_operator() -> str:
    """Who runs the command: the sudo caller when there is one, else the login."""
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return ""


def require_actor(actor: object) -> Actor:
    """Refuse what is not an Actor: services are given one, built at the edge."""
    if not isinstance(actor, Actor):
        raise TypeError(
            f"services take an apps.audit.actors.Actor as actor, not {type(actor).__name__} "
            "(build one at the edge: Actor.from_request(request), Actor.for_user(user), "
            "Actor.cli(...), Actor.system(...))"
        )
    return actor


def person_of(who) -> User | None:
    """For permission helpers, which services call with an Actor and views and templates
    with `request.user`: the person either way (None for the system and anonymous)."""
    if isinstance(who, Actor):
        return who.person
    return who if getattr(who, "is_authenticated", False) else None


def is_system(who) -> bool:
    """Whether a permission helper's subject is the platform itself (tasks, commands)."""
    return isinstance(who, Actor) and who.is_system

"""Who did it: a person, a person through an API token, a system task, or nobody signed in."""

from dataclasses import dataclass

from apps.audit.choices import ActorType
from apps.core.request_context import get_token


@dataclass(frozen=True)
class Actor:
    """The acting party as the audit trail stores it (denormalised: users may be deleted)."""

    type: str
    user_id: int | None = None
    name: str = ""
    detail: str = ""

    @classmethod
    def for_user(cls, user) -> "Actor":
        if user is None or not getattr(user, "is_authenticated", False):
            return cls.anonymous()
        return cls(ActorType.USER, user.pk, user.get_username())

    @classmethod
    def for_token(cls, token) -> "Actor":
        user = token.user
        return cls(ActorType.TOKEN, user.pk, user.get_username(), f"{token.name} ({token.prefix}…)")

    @classmethod
    def system(cls, task_name: str) -> "Actor":
        """A Celery task or command acting on its own, e.g. Actor.system("workers.reconcile")."""
        return cls(ActorType.SYSTEM, None, task_name)

    @classmethod
    def anonymous(cls, claimed_username: str = "") -> "Actor":
        return cls(ActorType.ANONYMOUS, None, claimed_username[:150])

    @classmethod
    def from_request(cls, request) -> "Actor":
        """The signed-in user, or the API token they authenticated with (DRF or Django request)."""
        from apps.accounts.models import PersonalAccessToken

        token = getattr(request, "k2_token", None) or getattr(request, "auth", None)
        if isinstance(token, PersonalAccessToken):
            return cls.for_token(token)
        return cls.for_user(getattr(request, "user", None))

    def __str__(self) -> str:
        return f"{self.name} [{self.detail}]" if self.detail else self.name or str(self.type)


def as_actor(actor) -> Actor:
    """Accept what services are given as `actor`: an Actor, a user, or None (anonymous).

    A user acting in a request authenticated by a personal access token is recorded as
    that token, so scripts are told apart from the person's own clicks.
    """
    if isinstance(actor, Actor):
        return actor
    token = get_token()
    if token is not None and getattr(actor, "pk", None) == token.user_id:
        return Actor(ActorType.TOKEN, actor.pk, actor.get_username(), token.label)
    return Actor.for_user(actor)

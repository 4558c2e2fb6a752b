"""Events for tests, written through the one recording API."""

from apps.audit.actors import Actor
from apps.audit.services import record


def make_event(action="test.thing", *, actor=None, space=None, target=None, **kwargs):
    return record(actor or Actor.system("tests"), action, target, space=space, **kwargs)

"""Kinds of operation: what each does, as a list of idempotent steps.

Apps register their kinds in a module `apps/<app>/operations.py`, imported by the
operations AppConfig.ready()::

    from apps.operations.registry import Step, register

    @register("approvals.run_handler", label=gettext_lazy("Approval handler"))
    def run_handler(operation) -> list[Step]:
        return [Step(gettext_lazy("Run the handler"), lambda op: {"ran": ...})]

The runner runs the steps from `operation.progress_done` on, records progress after each
one, and merges a step's returned dict into `operation.result`. A worker may die in the
middle of a step, so every step must be safe to run again (the sweeper resumes the
operation at the step that did not finish).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Step:
    label: str
    run: Callable[[object], dict | None]


@dataclass(frozen=True)
class OperationKind:
    name: str
    label: str
    steps: Callable[[object], list[Step]]


class UnknownOperationKind(LookupError):
    pass


_KINDS: dict[str, OperationKind] = {}


def register(name: str, *, label: str = ""):
    """Decorator: `steps(operation) -> list[Step]` becomes the kind `name`."""

    def wrap(steps: Callable[[object], list[Step]]):
        _KINDS[name] = OperationKind(name=name, label=label or name, steps=steps)
        return steps

    return wrap


def unregister(name: str) -> None:
    _KINDS.pop(name, None)


def get_kind(name: str) -> OperationKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownOperationKind(
            _("Unknown operation kind '%(kind)s'.") % {"kind": name}
        ) from None


def registered_kinds() -> dict[str, OperationKind]:
    return dict(_KINDS)


def autodiscover() -> None:
    """Import `<app>.operations` of every installed K2Cloud app (they register on import)."""
    for config in apps.get_app_configs():
        if config.name.startswith("apps.") and config.name != "apps.operations":
            try:
                importlib.import_module(f"{config.name}.operations")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.operations":
                    raise

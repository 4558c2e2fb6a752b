"""Secrets never reach the audit trail: values under secret-looking or registered keys
are replaced by "[redacted]", at any depth of the changes."""

import re

REDACTED = "[redacted]"

SECRET_KEY_PATTERN = re.compile(
    r"pass(word|wd|phrase)?|token|secret|kubeconfig|key|credential|private|certificate|"
    r"authorization|cookie|session",
    re.IGNORECASE,
)

_registry: dict[str, set[str]] = {}


def register_secret_fields(model_label: str, fields: list[str]) -> None:
    """Declare fields of a model whose values are secret, e.g. ("clusters.Cluster", ["ca"]).

    Names are matched case-insensitively at every depth of the changes of events whose
    target is that model (their names need not look secret to be redacted).
    """
    _registry.setdefault(model_label.lower(), set()).update(f.lower() for f in fields)


def registered_secret_fields(model_label: str) -> frozenset[str]:
    return frozenset(_registry.get(model_label.lower(), ()))


def is_secret_key(key: str, extra: frozenset[str] = frozenset()) -> bool:
    return key.lower() in extra or bool(SECRET_KEY_PATTERN.search(key))


def redact(value, model_label: str = ""):
    """A copy of `value` (JSON-like) with every secret value replaced."""
    extra = registered_secret_fields(model_label) if model_label else frozenset()
    return _redact(value, extra)


def _hide(value):
    """A secret's replacement; a {"before", "after"} pair keeps its shape (and its Nones),
    so the diff still tells that a secret was set, changed or removed."""
    if isinstance(value, dict) and value and set(value) <= {"before", "after"}:
        return {k: None if v is None else REDACTED for k, v in value.items()}
    return REDACTED


def _redact(value, extra: frozenset[str]):
    if isinstance(value, dict):
        return {
            str(k): _hide(v) if is_secret_key(str(k), extra) else _redact(v, extra)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, extra) for v in value]
    return value

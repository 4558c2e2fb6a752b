"""The audit trail. Services record through `apps.audit.services` (see docs/audit.md):

from apps.audit import audited, authorize, record, Actor
"""

from importlib import import_module

_EXPORTS = {
    "record": "apps.audit.services",
    "record_denied": "apps.audit.services",
    "authorize": "apps.audit.services",
    "audited": "apps.audit.services",
    "diff": "apps.audit.services",
    "snapshot": "apps.audit.services",
    "Actor": "apps.audit.actors",
    "register_secret_fields": "apps.audit.redaction",
    "register_space_scope": "apps.audit.selectors",
}


def __getattr__(name):
    """Lazy exports: importing models at app-loading time would fail."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(name)

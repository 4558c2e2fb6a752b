"""A service's ValidationError shown in the portal: on a form's fields, or as one message."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def error_text(exc: ValidationError) -> str:
    """Every message of the error in one line, for a flash message."""
    return " ".join(exc.messages)


def add_service_errors(
    form, exc: ValidationError, aliases: Mapping[str, str | None] | None = None
) -> None:
    """Each field's messages on the form field of that name (or its alias; an alias of None
    means "not a field"); messages for fields the form does not have go on top of the form."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        target = (aliases or {}).get(field, field) if field else None
        if target is not None and target not in form.fields:
            target = None
        for message in messages:
            form.add_error(target, message)


def too_many(wait: int) -> str:
    """The portal's words for a spent rate limit (the API answers 429 with Retry-After)."""
    return _("Too many attempts; try again in %(n)d seconds.") % {"n": wait}

"""Strict input: a request field the endpoint does not know is refused, never ignored.

DRF drops unknown keys silently, so a typo (`space` for `target_space`) quietly changes
what happens. Every input serializer of the API mixes StrictInputMixin in (checked by
tests/contract/test_strict_input.py); nested serializers check their own level.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.utils import html

MAX_NAMED = 20  # unknown names listed in one answer
MAX_NAME_CHARS = 64  # an unknown name is cut to this length


def _cut(name) -> str:
    name = str(name)
    return name[:MAX_NAME_CHARS] + "…" if len(name) > MAX_NAME_CHARS else name


def _prefixed_in_forms(field) -> bool:
    """Fields whose values a form sends under keys like "steps[0]name" or "labels.a"."""
    return isinstance(
        field, serializers.BaseSerializer | serializers.ListField | serializers.DictField
    )


def _dropped_in_forms(field) -> bool:
    """Fields DRF reads from prefixed form keys only: a plain key would be ignored."""
    return isinstance(field, serializers.BaseSerializer | serializers.DictField)


# (Comments, not docstrings: drf-spectacular would put a docstring into every schema that
# inherits it.)
class StrictInputMixin:
    # Refuse keys that name no field (400, each unknown key under its name). Form-encoded
    # input (multipart, urlencoded) cannot carry nested values the way JSON does; a nested
    # field sent as a plain form key would be dropped, so it is refused too, with the advice
    # to send JSON.

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = self._unknown_field_errors(data)
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def _unknown_field_errors(self, data) -> dict:
        # Read-only fields are known (a client may send back what it read); only names
        # that mean nothing here are refused.
        known = self.fields
        writable = {name: f for name, f in known.items() if not f.read_only}
        form = html.is_html_input(data)
        errors = {}
        for key in data:
            if key in known:
                if key not in writable:
                    continue
                if form and _dropped_in_forms(writable[key]):
                    errors[_cut(key)] = [
                        _("This field holds nested values: send the request as JSON "
                          "(Content-Type: application/json).")
                    ]  # fmt: skip
                continue
            # Form keys for nested fields look like "steps[0]name" or "quota.cpu".
            if form and any(
                key.startswith((f"{name}[", f"{name}.")) and _prefixed_in_forms(field)
                for name, field in writable.items()
            ):
                continue
            errors[_cut(key)] = [_("Unknown field: this endpoint does not accept it.")]
            if len(errors) >= MAX_NAMED:
                break
        return errors


class InputSerializer(StrictInputMixin, serializers.Serializer):
    pass  # the base of every plain input serializer of the API

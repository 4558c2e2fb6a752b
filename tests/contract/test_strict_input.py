"""Every serializer an API view reads input with refuses unknown fields (StrictInputMixin).

The list is found from the views' source (`XSerializer(data=...)` and the helper that
wraps it), plus every serializer nested in those, so a new input serializer is covered
without touching this test.
"""

import importlib
import re
from pathlib import Path

from rest_framework import serializers

from apps.core.api.serializers import StrictInputMixin

ROOT = Path(__file__).resolve().parents[2]
USES = re.compile(
    r"(?:\b(?:s|serializers)\.)?(\w+Serializer)\((?:[^()]*, )?data=|_valid\((?:s\.)?(\w+Serializer)"
)


def _input_serializers():
    found = {}
    for views in sorted(ROOT.glob("apps/*/api/views.py")):
        app = views.parent.parent.name
        if not (views.parent / "serializers.py").exists():
            continue
        module = importlib.import_module(f"apps.{app}.api.serializers")
        for match in USES.finditer(views.read_text()):
            name = match.group(1) or match.group(2)
            if hasattr(module, name):
                found[f"{app}.{name}"] = getattr(module, name)
    nested = {}
    for name, cls in found.items():
        for field_name, field in cls().fields.items():
            child = getattr(field, "child", field)
            if isinstance(child, serializers.BaseSerializer) and not field.read_only:
                nested[f"{name}.{field_name}"] = type(child)
    return {**found, **nested}


def test_every_input_serializer_refuses_unknown_fields():
    inputs = _input_serializers()
    assert len(inputs) >= 25  # the finder still finds them
    lax = sorted(name for name, cls in inputs.items() if not issubclass(cls, StrictInputMixin))
    assert not lax, f"input serializers without StrictInputMixin: {lax}"


def test_an_unknown_key_is_named_and_a_known_read_only_key_is_tolerated():
    from apps.approvals.api.serializers import DefinitionSerializer

    data = DefinitionSerializer(data={"name": "x", "kind": "ignored", "nmae": "typo"}, partial=True)
    assert not data.is_valid()
    assert list(data.errors) == ["nmae"]

"""The spaces app's operation kinds: the end of a space (apps/spaces/lifecycle.py)."""

from django.utils.translation import gettext_lazy as _

from apps.operations.registry import register
from apps.spaces.choices import DELETE_KIND, EXPIRE_KIND
from apps.spaces.lifecycle import delete_steps, expire_steps

register(EXPIRE_KIND, label=_("Space expiry"))(expire_steps)
register(DELETE_KIND, label=_("Space deletion"))(delete_steps)

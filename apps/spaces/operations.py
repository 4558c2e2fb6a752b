"""The spaces app's operation kind: the expiry of a test space (apps/spaces/lifecycle.py)."""

from django.utils.translation import gettext_lazy as _

from apps.operations.registry import register
from apps.spaces.lifecycle import EXPIRE_KIND, expire_steps

register(EXPIRE_KIND, label=_("Space expiry"))(expire_steps)

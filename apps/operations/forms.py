"""The list page's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.operations.choices import OperationState
from apps.operations.registry import registered_kinds


class OperationFilterForm(forms.Form):
    q = forms.CharField(label=_("Target"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    space = forms.SlugField(label=_("Space"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any state")), *OperationState.choices]
        self.fields["kind"].choices = [("", _("Any kind"))] + sorted(
            (name, str(kind.label)) for name, kind in registered_kinds().items()
        )

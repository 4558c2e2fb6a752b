from django import forms
from django.utils.translation import gettext_lazy as _


class SessionFilterForm(forms.Form):
    q = forms.CharField(label=_("Command, pod or app"), required=False, max_length=200)
    space = forms.CharField(label=_("Space"), required=False, max_length=63)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    state = forms.ChoiceField(
        label=_("State"), required=False,
        choices=[("", _("All")), ("open", _("Open")), ("ended", _("Ended"))],
    )  # fmt: skip

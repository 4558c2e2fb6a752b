"""Portal forms of spaces: plain input shapes; every rule is checked by the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.clusters.choices import Environment
from apps.spaces.choices import SpaceRole, SpaceState

ASSIGNABLE_ROLES = [(r.value, r.label) for r in SpaceRole if r != SpaceRole.OWNER]


class SpaceFilterForm(forms.Form):
    environment = forms.ChoiceField(
        label=_("Environment"), required=False,
        choices=[("", _("All environments")), *Environment.choices],
    )  # fmt: skip
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Live spaces")), *SpaceState.choices]
    )
    q = forms.CharField(label=_("Name"), required=False, max_length=63)


class SpaceCreateForm(forms.Form):
    environment = forms.ChoiceField(
        label=_("Environment"), choices=Environment.choices, initial=Environment.TEST
    )
    slug = forms.CharField(
        label=_("Name"), max_length=200,
        help_text=_("Becomes the namespace name: lower-case letters, digits and '-', "
                    "at most 63 characters."),
    )  # fmt: skip
    display_name = forms.CharField(label=_("Display name"), required=False, max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cluster = forms.ChoiceField(label=_("Cluster"), required=False)
    quota_cpu = forms.CharField(
        label=_("CPU"), required=False, help_text=_("Limits, e.g. 4 or 500m.")
    )
    quota_memory = forms.CharField(label=_("Memory"), required=False, help_text=_("e.g. 8Gi."))
    quota_pods = forms.IntegerField(label=_("Pods"), required=False, min_value=1)
    quota_storage = forms.CharField(label=_("Storage"), required=False, help_text=_("e.g. 20Gi."))
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for production: approvers read it."),
    )  # fmt: skip

    def __init__(self, *args, clusters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cluster"].choices = [("", _("Choose for me (placement)"))] + [
            (c.name, f"{c.title} ({Environment(c.environment).label})") for c in clusters
        ]

    def quota(self) -> dict:
        data = self.cleaned_data
        return {
            key: data.get(f"quota_{key}")
            for key in ("cpu", "memory", "pods", "storage")
            if data.get(f"quota_{key}") not in (None, "")
        }


class MemberAddForm(forms.Form):
    user = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=ASSIGNABLE_ROLES)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ASSIGNABLE_ROLES)


class QuotaForm(forms.Form):
    cpu = forms.CharField(label=_("CPU"), required=False)
    memory = forms.CharField(label=_("Memory"), required=False)
    pods = forms.IntegerField(label=_("Pods"), required=False, min_value=1)
    storage = forms.CharField(label=_("Storage"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False)

    def quota(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in ("cpu", "memory", "pods", "storage")
            if self.cleaned_data.get(k) not in (None, "")
        }


class TransferForm(forms.Form):
    user = forms.CharField(label=_("New owner (username)"), max_length=150)


class RenewForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False)

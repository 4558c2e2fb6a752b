"""One filter form for the portal list, the CSV export and the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.audit.choices import Outcome


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=_("Action"), required=False, max_length=100,
        help_text=_("A verb like space.create, or a prefix like space."),
    )  # fmt: skip
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=100)
    target_id = forms.CharField(label=_("Target id"), required=False, max_length=64)
    space = forms.CharField(label=_("Space"), required=False, max_length=100)
    cluster = forms.CharField(label=_("Cluster"), required=False, max_length=100)
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("any")), *Outcome.choices]
    )
    since = forms.DateTimeField(label=_("From"), required=False)
    until = forms.DateTimeField(label=_("Until"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("“From” must be before “Until”."))
        return data

    def filter(self, queryset):
        """Apply the cleaned filters (call after is_valid())."""
        data = self.cleaned_data
        if data.get("actor"):
            queryset = queryset.filter(actor_name__iexact=data["actor"].strip())
        if data.get("action"):
            action = data["action"].strip()
            if action.endswith("."):
                queryset = queryset.filter(action__startswith=action)
            else:
                queryset = queryset.filter(action=action)
        for name, lookup in (
            ("target_type", "target_type"),
            ("target_id", "target_id"),
            ("space", "space_id"),
            ("cluster", "cluster_id"),
            ("outcome", "outcome"),
        ):
            if data.get(name):
                queryset = queryset.filter(**{lookup: data[name].strip()})
        if data.get("since"):
            queryset = queryset.filter(created_at__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(created_at__lte=data["until"])
        return queryset

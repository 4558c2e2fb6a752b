"""One filter form for the portal list, the CSV export and the API."""

from datetime import UTC, datetime, timedelta

from django import forms
from django.utils import timezone
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

    def _in_range(self, value):
        """In UTC and within a sane range: PostgreSQL refuses odd offsets (+18:04) and dates
        far in the past would overflow; nothing was audited before 2000."""
        if value is None:
            return value
        earliest = datetime(2000, 1, 1, tzinfo=UTC)
        latest = timezone.now() + timedelta(days=366)
        try:
            value = value.astimezone(UTC)
        except (OverflowError, ValueError):
            value = None
        if value is None or not earliest <= value <= latest:
            raise forms.ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s.")
                % {"earliest": earliest.date().isoformat(), "latest": latest.date().isoformat()}
            )
        return value

    def clean_since(self):
        return self._in_range(self.cleaned_data.get("since"))

    def clean_until(self):
        return self._in_range(self.cleaned_data.get("until"))

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

"""The restore form of the portal: into which name, on which cluster."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.clusters.models import Cluster


class RestoreForm(forms.Form):
    slug = forms.SlugField(
        label=_("Space name"), max_length=63,
        help_text=_("The old name if it is free, or a new one (lowercase letters, digits, '-')."),
    )  # fmt: skip
    cluster = forms.ChoiceField(
        label=_("Cluster"),
        help_text=_("The same cluster or another one; a production cluster needs approval."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cluster"].choices = [
            (c.name, f"{c.name} ({c.get_environment_display()})")
            for c in Cluster.objects.filter(enabled=True).order_by("environment", "name")
        ]

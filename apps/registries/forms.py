"""The portal's forms of registries: registering one, and its settings and policy."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.registries.choices import RegistryKind, RunMode


class RegistryForm(forms.Form):
    name = forms.SlugField(label=_("Name"), max_length=63)
    kind = forms.ChoiceField(label=_("Kind"), choices=RegistryKind.choices)
    url = forms.URLField(label=_("URL"), max_length=300, assume_scheme="https")
    username = forms.CharField(label=_("Username"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), max_length=500, required=False,
                               widget=forms.PasswordInput(render_value=False))  # fmt: skip
    pull_host = forms.CharField(
        label=_("Pull host"), max_length=300, required=False,
        help_text=_("The host[:port] cluster image references use; default: the URL's."),
    )  # fmt: skip


class SettingsForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=RunMode.choices)
    keep_last = forms.IntegerField(label=_("Keep the newest N"), min_value=0, max_value=10000, required=False,
                                   help_text=_("Empty: the installation's default."))  # fmt: skip
    keep_days = forms.IntegerField(label=_("Keep younger than (days)"), min_value=0, max_value=10000,
                                   required=False, help_text=_("Empty: the installation's default."))  # fmt: skip
    protected = forms.CharField(
        label=_("Protected tags"), required=False,
        help_text=_("Patterns, comma-separated (latest, release-*, semver); empty: the default."),
    )  # fmt: skip
    repositories = forms.CharField(
        label=_("Per-repository overrides (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('For example {"team/*": {"keep_last": 3}}.'),
    )  # fmt: skip
    gc_hour = forms.IntegerField(label=_("GC hour"), min_value=0, max_value=23)
    enabled = forms.BooleanField(label=_("Scheduled runs"), required=False)

    @classmethod
    def for_registry(cls, registry, data=None):
        policy = registry.policy or {}
        initial = {"mode": registry.mode, "gc_hour": registry.gc_hour, "enabled": registry.enabled,
                   "keep_last": policy.get("keep_last"), "keep_days": policy.get("keep_days"),
                   "protected": ", ".join(policy.get("protected") or []),
                   "repositories": json.dumps(policy["repositories"]) if policy.get("repositories") else ""}  # fmt: skip
        return cls(data, initial=initial)

    def clean_repositories(self):
        text = self.cleaned_data["repositories"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("An object of repository patterns."))
        return value

    def policy(self) -> dict:
        data = self.cleaned_data
        policy: dict = {}
        for key in ("keep_last", "keep_days"):
            if data.get(key) is not None:
                policy[key] = data[key]
        protected = [p.strip() for p in (data.get("protected") or "").split(",") if p.strip()]
        if protected:
            policy["protected"] = protected
        if data.get("repositories"):
            policy["repositories"] = data["repositories"]
        return policy

"""Portal forms of clusters; they gather input, the services validate and decide."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.clusters.choices import Environment
from apps.clusters.policy import POLICY_FIELDS

MAX_KUBECONFIG_BYTES = 256 * 1024


def parse_labels(text: str) -> dict:
    labels = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                _("Write one label per line as key=value (%(line)s).") % {"line": line}
            )
        labels[key.strip()] = value.strip()
    return labels


def labels_text(labels: dict) -> str:
    return "\n".join(f"{k}={v}" for k, v in (labels or {}).items())


class KubeconfigFields(forms.Form):
    kubeconfig_file = forms.FileField(label=_("Kubeconfig file"), required=False)
    kubeconfig_text = forms.CharField(
        label=_("…or paste the kubeconfig"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    context = forms.CharField(label=_("Context"), required=False, max_length=253)

    def kubeconfig(self) -> str:
        upload = self.cleaned_data.get("kubeconfig_file")
        if upload:
            if upload.size > MAX_KUBECONFIG_BYTES:
                raise ValidationError({"kubeconfig_file": [_("A kubeconfig is at most 256 KiB.")]})
            raw = upload.read()
            try:
                return raw.decode()
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    {"kubeconfig_file": [_("This file is not a kubeconfig: it is not text.")]}
                ) from exc
        return self.cleaned_data.get("kubeconfig_text") or ""


class RegisterClusterForm(KubeconfigFields):
    name = forms.CharField(
        label=_("Name"), max_length=63, help_text=_("Lowercase letters, digits and '-'.")
    )
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    environment = forms.ChoiceField(label=_("Environment"), choices=Environment.choices)
    region = forms.CharField(label=_("Region"), max_length=63, required=False)
    labels = forms.CharField(
        label=_("Labels"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One key=value per line."),
    )  # fmt: skip
    skip_tls_verify = forms.BooleanField(
        label=_("Do not verify the API server's TLS certificate (not recommended)"), required=False
    )

    def clean_labels(self):
        return parse_labels(self.cleaned_data.get("labels", ""))


class EditClusterForm(KubeconfigFields):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    region = forms.CharField(label=_("Region"), max_length=63, required=False)
    labels = forms.CharField(
        label=_("Labels"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One key=value per line."),
    )  # fmt: skip
    skip_tls_verify = forms.BooleanField(
        label=_("Do not verify the API server's TLS certificate (not recommended)"), required=False
    )

    def clean_labels(self):
        return parse_labels(self.cleaned_data.get("labels", ""))


class PolicyForm(forms.Form):
    cpu_overcommit = forms.DecimalField(
        label=_("CPU overcommit ratio"), max_digits=5, decimal_places=2
    )
    memory_overcommit = forms.DecimalField(
        label=_("Memory overcommit ratio"), max_digits=5, decimal_places=2
    )
    default_quota_cpu = forms.CharField(label=_("Default space CPU quota"), max_length=16)
    default_quota_memory = forms.CharField(label=_("Default space memory quota"), max_length=16)
    max_quota_cpu = forms.CharField(label=_("Maximum space CPU quota"), max_length=16)
    max_quota_memory = forms.CharField(label=_("Maximum space memory quota"), max_length=16)
    default_lifetime_days = forms.IntegerField(
        label=_("Default test space lifetime (days)"), required=False
    )
    renewal_days = forms.IntegerField(label=_("Renewal length (days)"), required=False)
    renewal_cap_days = forms.IntegerField(
        label=_("Longest lifetime with renewals (days)"), required=False
    )
    reminder_days = forms.CharField(
        label=_("Reminders (days before expiry)"), required=False, max_length=100,
        help_text=_("Comma-separated, e.g. 7, 3, 1; empty for the installation default."),
    )  # fmt: skip
    terminal_allowed = forms.BooleanField(label=_("Web terminal allowed"), required=False)

    @classmethod
    def for_policy(cls, policy, data=None):
        initial = {f: getattr(policy, f) for f in POLICY_FIELDS}
        initial["reminder_days"] = ", ".join(str(d) for d in policy.reminder_days or [])
        return cls(data, initial=initial)

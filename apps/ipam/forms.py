"""The IPAM policy form of the portal (platform admins)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.ipam.choices import Mode


class PolicyForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)
    grace_seconds = forms.IntegerField(
        label=_("Grace period (seconds)"), min_value=0, max_value=7 * 86400,
        help_text=_("A candidate is released only when two scans this far apart found it."),
    )  # fmt: skip
    release_bound = forms.IntegerField(label=_("Releases per run"), min_value=1, max_value=10000)
    max_leaked_share = forms.FloatField(
        label=_("Stop above leaked share"), min_value=0.01, max_value=1.0,
        help_text=_("0.5: a run releases nothing when half of a pool's allocations look leaked."),
    )  # fmt: skip
    interval_seconds = forms.IntegerField(
        label=_("Scan every (seconds)"), min_value=60, max_value=86400
    )
    pools = forms.CharField(
        label=_("K2Cloud's pools"), required=False,
        help_text=_("IPPool names K2Cloud may release from, comma-separated (empty: every enabled pool)."),
    )  # fmt: skip

    @classmethod
    def for_policy(cls, policy, data=None):
        initial = {f: getattr(policy, f) for f in ("mode", "grace_seconds", "release_bound",
                                                   "max_leaked_share", "interval_seconds")}  # fmt: skip
        initial["pools"] = ", ".join(policy.pools or [])
        return cls(data, initial=initial)

    def clean_pools(self) -> list[str]:
        return [p.strip() for p in self.cleaned_data["pools"].split(",") if p.strip()]

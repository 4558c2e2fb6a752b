"""Portal forms: the event center's filters, a new alert rule, a new sink."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.events.choices import EventType, SinkKind

WINDOWS = [("", _("Any time")), ("1h", _("Last hour")), ("24h", _("Last 24 hours")),
           ("7d", _("Last 7 days")), ("30d", _("Last 30 days"))]  # fmt: skip


def _space_choices(spaces, allow_global: bool) -> list:
    """A rule's or sink's scope: the spaces the person manages; every space for admins."""
    head = [("", _("Every space (platform admins)"))] if allow_global else []
    return [*head, *[(s, s) for s in spaces]]


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    cluster = forms.ChoiceField(label=_("Cluster"), required=False)
    space = forms.ChoiceField(label=_("Space"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("Any type")), *EventType.choices])  # fmt: skip
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    since = forms.ChoiceField(label=_("Time"), required=False, choices=WINDOWS)

    def __init__(self, *args, clusters=(), spaces=(), reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cluster"].choices = [("", _("Any cluster")), *[(c, c) for c in clusters]]
        self.fields["space"].choices = [("", _("Any space")), *[(s, s) for s in spaces]]
        self.fields["reason"].choices = [("", _("Any reason")), *[(r, r) for r in reasons]]


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    space = forms.ChoiceField(label=_("Space"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("Any type")), *EventType.choices])  # fmt: skip
    reason = forms.CharField(label=_("Reason"), max_length=128, required=False,
                             help_text=_("For example OOMKilled, BackOff, FailedScheduling."))  # fmt: skip
    threshold = forms.IntegerField(label=_("At least this many"), min_value=1, initial=1)
    window_seconds = forms.IntegerField(label=_("Within (seconds)"), min_value=1, initial=600)
    renotify_seconds = forms.IntegerField(label=_("Re-notify after (seconds)"), min_value=10,
                                          initial=3600)  # fmt: skip
    sinks = forms.MultipleChoiceField(label=_("Send to"), required=False)

    def __init__(self, *args, spaces=(), sinks=(), allow_global=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = _space_choices(spaces, allow_global)
        self.fields["sinks"].choices = [(str(s.pk), s.name) for s in sinks]


class SinkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    space = forms.ChoiceField(label=_("Space"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=SinkKind.choices)
    target = forms.CharField(label=_("URL or email addresses"), max_length=2000)
    secret = forms.CharField(label=_("Signing secret (optional)"), required=False,
                             widget=forms.PasswordInput)  # fmt: skip

    def __init__(self, *args, spaces=(), allow_global=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = _space_choices(spaces, allow_global)


SILENCE_FOR = [("1h", _("1 hour")), ("4h", _("4 hours")), ("24h", _("1 day")), ("7d", _("1 week"))]
SILENCE_HOURS = {"1h": 1, "4h": 4, "24h": 24, "7d": 168}


class SilenceForm(forms.Form):
    duration = forms.ChoiceField(label=_("Silence for"), choices=SILENCE_FOR)
    comment = forms.CharField(label=_("Why"), max_length=200, required=False)

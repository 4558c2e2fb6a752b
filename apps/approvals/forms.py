"""Portal forms of approvals: the inbox filters and the decision form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.approvals.choices import Quorum, RequestState
from apps.approvals.models import WorkflowDefinition


class RequestFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *RequestState.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = WorkflowDefinition.objects.values_list("kind", "name")
        self.fields["kind"].choices = [("", _("Any kind")), *kinds]

    def filter(self, qs):
        if self.is_valid():
            if self.cleaned_data["state"]:
                qs = qs.filter(state=self.cleaned_data["state"])
            if self.cleaned_data["kind"]:
                qs = qs.filter(kind=self.cleaned_data["kind"])
        return qs


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to reject: the requester reads why."),
    )


class DefinitionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive workflow takes no new requests; pending ones go on."),
    )


DURATION_HELP = _("Days and time, e.g. '3 00:00:00' for three days; empty for none.")


class StepForm(forms.Form):
    name = forms.CharField(label=_("Step"), max_length=100)
    approvers = forms.CharField(
        label=_("Approvers"),
        max_length=150,
        help_text=_("A group name, or a role relative to the request (e.g. platform-admin)."),
    )
    quorum = forms.ChoiceField(label=_("Quorum"), choices=Quorum.choices, initial=Quorum.ANY)
    quorum_count = forms.IntegerField(label=_("Approvals needed"), min_value=1, initial=1)
    deadline = forms.DurationField(label=_("Deadline"), required=False, help_text=DURATION_HELP)
    remind_after = forms.DurationField(
        label=_("Remind after"), required=False, help_text=DURATION_HELP
    )
    escalate_to = forms.CharField(label=_("Escalate to group"), max_length=150, required=False)


StepFormSet = forms.formset_factory(StepForm, extra=1, can_delete=True)

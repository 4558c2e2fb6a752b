"""The dashboard's filters (date range and environment), shared by the page and the API."""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.clusters.choices import Environment

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Usage is never older than the platform nor dated after next year; outside this range
# date arithmetic (start = end - 29 days, end + 1 day) would overflow.
EARLIEST = date(2000, 1, 1)
FUTURE_DAYS = 366


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    environment: str = ""

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "environment": self.environment,
        }


class DashboardFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)
    environment = forms.ChoiceField(
        label=_("Environment"),
        required=False,
        choices=[("", _("All environments")), *Environment.choices],
    )

    def _in_range(self, value):
        latest = timezone.localdate() + timedelta(days=FUTURE_DAYS)
        if value is not None and not EARLIEST <= value <= latest:
            raise forms.ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST.isoformat(), "latest": latest.isoformat()}
            )
        return value

    def clean_start(self):
        return self._in_range(self.cleaned_data.get("start"))

    def clean_end(self):
        return self._in_range(self.cleaned_data.get("end"))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(
                {"start": _("The start of the range must not be after its end.")}
            )
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(
                {"start": _("Choose a range of at most %(days)d days.") % {"days": MAX_DAYS}}
            )
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(data["start"], data["end"], data.get("environment") or "")


def default_filters() -> Filters:
    form = DashboardFilterForm({})
    form.is_valid()
    return form.filters()

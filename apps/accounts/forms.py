from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the portal's wording and widgets."""

    username = forms.CharField(
        label=_("Username"),
        widget=forms.TextInput(
            attrs={"autofocus": True, "class": "form-control", "autocomplete": "username"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"class": "form-control", "autocomplete": "current-password"}
        ),
    )
    error_messages = {
        "invalid_login": _(
            "Wrong username or password. Usernames and passwords are case-sensitive."
        ),
        "inactive": _("This account is disabled. Ask a platform admin."),
    }


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("What will use it, e.g. “deploy script” or “k2ctl on bastion”."),
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=365,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = settings.K2_TOKEN_DEFAULT_EXPIRY_DAYS
        field = self.fields["expires_days"]
        field.widget.attrs["placeholder"] = str(days)
        if settings.K2_TOKEN_ALLOW_NON_EXPIRING:
            field.help_text = _("1 to 365 days. Leave empty for a token that never expires.")
        else:
            field.help_text = _(
                "1 to 365 days. Leave empty for %(days)s days; tokens that never expire are "
                "not allowed here."
            ) % {"days": days}

"""Sign-in events of the accounts app (recorded in the audit trail)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.choices import Outcome
from apps.audit.services import record


@receiver(user_logged_in, dispatch_uid="k2_audit_sign_in")
def _signed_in(sender, request, user, **kwargs):
    record(Actor.for_user(user), "account.sign_in", user)


@receiver(user_login_failed, dispatch_uid="k2_audit_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the username is kept.
    username = str(credentials.get("username") or "")[:150]
    record(
        Actor.anonymous(username),
        "account.sign_in",
        ("auth.user", "", username),
        outcome=Outcome.DENIED,
        reason=_("Wrong username or password, or the account is locked or disabled."),
    )


@receiver(user_logged_out, dispatch_uid="k2_audit_sign_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(Actor.for_user(user), "account.sign_out", user)

"""The portal home: what the signed-in user can do, by role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import ROLE_DESCRIPTIONS, Role, user_roles

ROLE_ACTIONS = {
    Role.EMPLOYEE: [
        ("spaces:list", _("Create a test space"), _("Self-service, active in seconds.")),
        (
            "workloads:list",
            _("Deploy an app"),
            _("Describe it; K2Cloud writes the Kubernetes objects."),
        ),
        ("approvals:inbox", _("Request a production space"), _("Goes through approval.")),
    ],
    Role.APPROVER: [
        (
            "approvals:inbox",
            _("Work your approval inbox"),
            _("Production spaces, quota raises, renewals."),
        ),
    ],
    Role.PLATFORM_ADMIN: [
        ("clusters:list", _("Manage clusters"), _("Register clusters and set their policies.")),
        ("audit:list", _("Read the audit trail"), _("Every change and refused attempt.")),
    ],
    Role.ANALYST: [
        (
            "analytics:dashboard",
            _("Open the usage dashboard"),
            _("Active users, features, lead times."),
        ),
    ],
}


@login_required
def home(request):
    roles = user_roles(request.user)
    cards = [
        {
            "role": role,
            "label": role.label,
            "description": ROLE_DESCRIPTIONS[role],
            "actions": ROLE_ACTIONS[role],
        }
        for role in Role
        if role.value in roles
    ]
    return render(request, "core/home.html", {"role_cards": cards})


@login_required
def mailbox(request):
    """The demo mailbox (only where mail goes to var/mail/): mails sent to the person."""
    from django.http import Http404

    from apps.accounts.roles import is_platform_admin
    from apps.core import mailbox as box

    if not box.enabled():
        raise Http404
    everyone = is_platform_admin(request.user) and request.GET.get("all") == "1"
    mails = box.mails_for(request.user, everyone=everyone)
    return render(request, "core/mailbox.html", {
        "mails": mails, "everyone": everyone, "can_see_all": is_platform_admin(request.user),
    })  # fmt: skip

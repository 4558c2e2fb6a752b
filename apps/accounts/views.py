"""Portal pages for signing in and managing one's own access tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.forms import SignInForm, TokenForm
from apps.accounts.models import PersonalAccessToken
from apps.accounts.services import do_create_token, do_revoke_token
from apps.audit.actors import Actor
from apps.core.api.throttling import portal_wait
from apps.core.forms import add_service_errors, too_many


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(oidc_enabled=settings.OIDC_ENABLED, **kwargs)


class SignOutView(auth_views.LogoutView):
    pass


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST" and form.is_valid():
        wait = portal_wait(request, "token-create")
        if wait is not None:
            messages.error(request, too_many(wait))
            status = 429
    if request.method == "POST" and form.is_valid() and status == 200:
        try:
            token, new_token = do_create_token(
                request.user,
                form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
                actor=Actor.from_request(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Token “%(name)s” created.") % {"name": token.name})
            form = TokenForm()
    rows = PersonalAccessToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": rows, "new_token": new_token},
        status=status,
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    do_revoke_token(token, actor=Actor.from_request(request))
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")

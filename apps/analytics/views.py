"""Portal pages of analytics."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.accounts import roles
from apps.core.decorators import user_passes_test_or_403


@login_required
@user_passes_test_or_403(roles.can_view_analytics)
def index(request):
    return render(request, "analytics/dashboard.html")

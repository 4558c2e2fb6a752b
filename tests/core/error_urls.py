"""The real URLs plus two API views that fail, for the error-envelope tests."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from k2cloud.urls import urlpatterns as real


def boom(request):
    raise RuntimeError("an unexpected failure")


@require_GET
def get_only(request):
    return HttpResponse("ok")


urlpatterns = [
    path("api/v1/test-boom/", boom),
    path("api/v1/test-get-only/", get_only),
    *real,
]

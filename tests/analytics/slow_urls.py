"""The project's URLs plus one deliberately slow page, to check measured latency."""

import time

from django.http import HttpResponse
from django.urls import include, path


def slow(request):
    time.sleep(0.05)
    return HttpResponse("slow")


urlpatterns = [path("slow/", slow, name="slow"), path("", include("k2cloud.urls"))]

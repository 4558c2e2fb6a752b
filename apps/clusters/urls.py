from django.urls import path

from apps.clusters import views

app_name = "clusters"
urlpatterns = [
    path("", views.index, name="list"),
    path("register/", views.register, name="register"),
    path("register/contexts/", views.kubeconfig_contexts, name="contexts"),
    path("environments/", views.environment_defaults, name="environments"),
    path("environments/<slug:environment>/", views.environment_defaults, name="environment"),
    path("<slug:name>/", views.detail, name="detail"),
    path("<slug:name>/state/", views.state_badge, name="state"),
    path("<slug:name>/edit/", views.edit, name="edit"),
    path("<slug:name>/policy/", views.policy, name="policy"),
    path("<slug:name>/<slug:verb>/", views.switch, name="switch"),
]

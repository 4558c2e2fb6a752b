from django.urls import path

from apps.spaces.api import views

spaces = views.SpaceViewSet
members = views.MemberViewSet

urlpatterns = [
    path("", spaces.as_view({"get": "list", "post": "create"}), name="space-list"),
    path(
        "<slug:slug>/",
        spaces.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="space-detail",
    ),
    *[
        # The @action's own options (pagination_class) apply: routers pass them, so must we.
        path(
            f"<slug:slug>/{verb}/",
            spaces.as_view({method: verb}, **getattr(getattr(spaces, verb), "kwargs", {})),
            name=f"space-{verb}",
        )
        for verb, method in (
            ("retry", "post"),
            ("renew", "post"),
            ("quota", "post"),
            ("transfer", "post"),
            ("usage", "get"),
            ("timeline", "get"),
            ("requests", "get"),
            ("permissions", "get"),
        )
    ],  # fmt: skip
    path(
        "<slug:space_slug>/members/",
        members.as_view({"get": "list", "post": "create"}),
        name="space-members",
    ),
    path(
        "<slug:space_slug>/members/<str:username>/",
        members.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="space-member",
    ),
]

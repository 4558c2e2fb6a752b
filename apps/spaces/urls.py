from django.urls import path

from apps.spaces import views

app_name = "spaces"
urlpatterns = [
    path("", views.index, name="list"),
    path("new/", views.create, name="create"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/usage/", views.usage, name="usage"),
    path("<slug:slug>/members/", views.add_member, name="add-member"),
    path("<slug:slug>/members/<str:username>/role/", views.change_member, name="change-member"),
    path("<slug:slug>/members/<str:username>/remove/", views.remove_member, name="remove-member"),
    path("<slug:slug>/quota/", views.change_quota, name="quota"),
    path("<slug:slug>/renew/", views.renew, name="renew"),
    path("<slug:slug>/retry/", views.retry, name="retry"),
    path("<slug:slug>/delete/", views.delete, name="delete"),
    path("<slug:slug>/transfer/", views.transfer, name="transfer"),
]

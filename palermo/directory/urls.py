from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("providers/<str:public_id>/", views.provider_detail, name="provider"),
    path("services/<str:public_id>/", views.service_detail, name="service"),
    path("match/<str:case_public_id>/", views.match, name="match"),
    path("manage/", views.manage, name="manage"),
    path("manage/providers/new/", views.provider_create, name="provider_create"),
    path("manage/providers/<str:public_id>/edit/", views.provider_edit, name="provider_edit"),
    path("manage/providers/<str:public_id>/delete/", views.provider_delete, name="provider_delete"),
    path(
        "manage/providers/<str:public_id>/services/new/",
        views.service_create,
        name="service_create",
    ),
    path("manage/services/<str:public_id>/edit/", views.service_edit, name="service_edit"),
    path("manage/services/<str:public_id>/delete/", views.service_delete, name="service_delete"),
    path("manage/services/<str:public_id>/places/", views.service_places, name="service_places"),
]

from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("<str:public_id>/", views.person_detail, name="detail"),
    path("<str:public_id>/edit/", views.person_edit, name="edit"),
]

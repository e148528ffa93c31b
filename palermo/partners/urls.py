from django.urls import path

from . import views

app_name = "partners"
urlpatterns = [
    path("", views.manage, name="manage"),
    path("add/", views.add, name="add"),
    path("inbox/", views.inbox, name="inbox"),
    path("incoming/", views.incoming_list, name="incoming_list"),
    path("incoming/<str:public_id>/", views.incoming_detail, name="incoming_detail"),
    path(
        "incoming/<str:public_id>/<str:answer>/",
        views.incoming_answer,
        name="incoming_answer",
    ),
    path("<str:public_id>/active/", views.set_active, name="set_active"),
    path("<str:public_id>/organisation/", views.set_organisation, name="set_organisation"),
]

from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("overdue/", views.overdue, name="overdue"),
    path("new/", views.case_open, name="open"),
    path("anonymous/", views.anonymous_notification, name="anonymous"),
    path("rules/", views.lifecycle_page, name="lifecycle"),
    path("<str:public_id>/", views.case_detail, name="detail"),
    path("<str:public_id>/decide/", views.case_decide, name="decide"),
    path("<str:public_id>/assign/", views.case_assign, name="assign"),
    path("<str:public_id>/close/", views.case_close, name="close"),
    path("<str:public_id>/advance/", views.case_advance, name="advance"),
    path("<str:public_id>/reopen/", views.case_reopen, name="reopen"),
]

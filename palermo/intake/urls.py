from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.console, name="console"),
    path("new/", views.contact_new, name="new"),
    path("draft/", views.draft_save, name="draft"),
    path("organisations/", views.organisation_lookup, name="organisations"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("<str:public_id>/", views.contact_detail, name="detail"),
    path("<str:public_id>/edit/", views.contact_edit, name="edit"),
    path("<str:public_id>/claim/", views.contact_claim, name="claim"),
    path("<str:public_id>/assign/", views.contact_assign, name="assign"),
    path("<str:public_id>/status/", views.contact_status, name="status"),
    path("<str:public_id>/escalate/", views.contact_escalate, name="escalate"),
    path("<str:public_id>/persons/", views.contact_link_person, name="link_person"),
    path("<str:public_id>/situation/", views.contact_situation, name="situation"),
    path(
        "<str:public_id>/attachments/<str:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]

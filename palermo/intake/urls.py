from django.urls import path

from . import campaign_views, situation_views, views

app_name = "intake"
urlpatterns = [
    path("", views.console, name="console"),
    path("new/", views.contact_new, name="new"),
    path("draft/", views.draft_save, name="draft"),
    path("organisations/", views.organisation_lookup, name="organisations"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("situations/", situation_views.situation_list, name="situations"),
    path("situations/new/", situation_views.situation_new, name="situation_new"),
    path(
        "situations/<str:public_id>/",
        situation_views.situation_detail,
        name="situation_detail",
    ),
    path(
        "situations/<str:public_id>/summary/",
        situation_views.situation_edit,
        name="situation_edit",
    ),
    path(
        "situations/<str:public_id>/status/",
        situation_views.situation_status,
        name="situation_status",
    ),
    path(
        "situations/<str:public_id>/contacts/",
        situation_views.situation_add_contact,
        name="situation_add_contact",
    ),
    path(
        "situations/<str:public_id>/contacts/<str:contact_id>/remove/",
        situation_views.situation_remove_contact,
        name="situation_remove_contact",
    ),
    path(
        "situations/<str:public_id>/persons/",
        situation_views.situation_link_person,
        name="situation_link_person",
    ),
    path(
        "situations/<str:public_id>/persons/<str:person_id>/remove/",
        situation_views.situation_unlink_person,
        name="situation_unlink_person",
    ),
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/<str:public_id>/", campaign_views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<str:public_id>/active/",
        campaign_views.campaign_active,
        name="campaign_active",
    ),
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

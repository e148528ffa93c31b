from django.urls import path

from . import views

app_name = "casefile"
urlpatterns = [
    path("<str:case_id>/", views.overview, name="overview"),
    path("<str:case_id>/needs/", views.needs, name="needs"),
    path("<str:case_id>/needs/new/", views.needs_new, name="needs_new"),
    path("<str:case_id>/care-plan/", views.care_plan, name="care_plan"),
    path("<str:case_id>/care-plan/new/", views.care_plan_new, name="care_plan_new"),
    path("<str:case_id>/care-plan/<str:item_id>/", views.care_plan_item, name="care_plan_item"),
    path(
        "<str:case_id>/care-plan/<str:item_id>/edit/", views.care_plan_edit, name="care_plan_edit"
    ),
    path("<str:case_id>/notes/", views.notes, name="notes"),
    path("<str:case_id>/notes/<str:item_id>/correct/", views.note_correct, name="note_correct"),
    path("<str:case_id>/documents/", views.documents_page, name="documents"),
    path(
        "<str:case_id>/documents/<str:item_id>/download/",
        views.document_download,
        name="document_download",
    ),
    path("<str:case_id>/events/", views.events, name="events"),
    path("<str:case_id>/perpetrators/", views.perpetrators, name="perpetrators"),
]

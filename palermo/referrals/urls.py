from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.received_list, name="received"),
    path("sent/", views.sent_list, name="sent"),
    path("cases/<str:case_id>/refer/", views.refer_case, name="refer"),
    path("<str:public_id>/", views.referral_detail, name="detail"),
    path("<str:public_id>/document/", views.referral_document, name="document"),
    path("<str:public_id>/<str:action>/", views.referral_act, name="act"),
]

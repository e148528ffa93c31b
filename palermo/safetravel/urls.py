from django.urls import path

from . import public_views as public
from . import views

app_name = "safetravel"

# The hotline's alerts queue (views.py).
urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<str:public_id>/", views.alert_detail, name="alert_detail"),
    path("alerts/<str:public_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<str:public_id>/open-person/", views.alert_open_person, name="alert_open_person"),
    path("alerts/<str:public_id>/close/", views.alert_close, name="alert_close"),
]
# The traveller's public pages (public_views.py).
urlpatterns += [
    path("", public.public_home, name="public_home"),
    path("start/", public.start, name="start"),
    path("start/code/", public.start_code, name="start_code"),
    path("start/account/", public.start_account, name="start_account"),
    path("sign-in/", public.sign_in, name="sign_in"),
    path("sign-in/code/", public.sign_in_totp, name="sign_in_totp"),
    path("sign-out/", public.sign_out, name="sign_out"),
    path("home/", public.home, name="home"),
    path("check-in/", public.check_in, name="check_in"),
    path("trips/new/", public.trip_create, name="trip_create"),
    path("trips/<str:public_id>/", public.trip_detail, name="trip_detail"),
    path("trips/<str:public_id>/edit/", public.trip_edit, name="trip_edit"),
    path("trips/<str:public_id>/start/", public.trip_arm, name="trip_arm"),
    path("trips/<str:public_id>/contacts/", public.contact_add, name="contact_add"),
    path(
        "trips/<str:public_id>/contacts/<str:contact_id>/invite/",
        public.contact_invite,
        name="contact_invite",
    ),
    path(
        "trips/<str:public_id>/contacts/<str:contact_id>/remove/",
        public.contact_remove,
        name="contact_remove",
    ),
    path("trips/<str:public_id>/<str:action>/", public.trip_action, name="trip_action"),
    path("confirm/<str:token>/", public.confirm, name="confirm"),
    path("account/", public.account, name="account"),
    path("account/pin/", public.account_pin, name="account_pin"),
    path("account/authenticator/", public.account_totp, name="account_totp"),
    path("account/export/", public.account_export, name="account_export"),
    path("account/delete/", public.account_delete, name="account_delete"),
]

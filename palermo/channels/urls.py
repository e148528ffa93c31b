from django.urls import path, re_path

from . import views

app_name = "channels"
_CHANNEL = r"^(?P<channel_type>[a-z]{1,20})/(?P<channel_id>[0-9a-fA-F-]{36})"
urlpatterns = [
    path("admin/", views.channel_list, name="admin_list"),
    path("admin/new/", views.channel_create, name="admin_create"),
    path("admin/<str:public_id>/deactivate/", views.channel_deactivate, name="admin_deactivate"),
    path("_bare", views.bare, name="bare"),
    # The gateways call these; a trailing slash is accepted too (a redirect would lose a POST).
    re_path(_CHANNEL + r"/receive/?$", views.webhook, {"kind": "receive"}, name="receive"),
    re_path(_CHANNEL + r"/status/?$", views.webhook, {"kind": "status"}, name="status"),
]

from django.urls import path

from . import public_views

app_name = "tip"
urlpatterns = [
    path("", public_views.tip_form, name="form"),
    path("follow-up/", public_views.tip_follow_up, name="follow_up"),
]

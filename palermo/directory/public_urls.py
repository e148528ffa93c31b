from django.urls import path

from . import public_views

app_name = "find_help"
urlpatterns = [
    path("", public_views.index, name="index"),
    path("<str:country>/", public_views.country, name="country"),
]

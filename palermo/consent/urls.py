from django.urls import path

from . import views

app_name = "consent"
urlpatterns = [
    path("person/<str:public_id>/", views.person_consent, name="person"),
    path("person/<str:public_id>/withdraw/", views.consent_withdraw, name="withdraw"),
    path(
        "person/<str:public_id>/legal-basis/", views.legal_basis_create, name="legal_basis_create"
    ),
    path("legal-basis/<str:basis_id>/revoke/", views.legal_basis_revoke, name="legal_basis_revoke"),
]

from django.urls import include, path

from .api import api

urlpatterns = [
    path("", include("palermo.web.urls")),
    path("accounts/", include("palermo.accounts.urls")),
    path("people/", include("palermo.people.urls")),
    path("audit/", include("palermo.audit.urls")),
    path("consent/", include("palermo.consent.urls")),
    path("intake/", include("palermo.intake.urls")),
    path("tip/", include("palermo.intake.public_urls")),
    path("c/", include("palermo.channels.urls")),
    path("screening/", include("palermo.screening.urls")),
    path("travel/", include("palermo.safetravel.urls")),
    path("cases/", include("palermo.cases.urls")),
    path("casefile/", include("palermo.casefile.urls")),
    path("referrals/", include("palermo.referrals.urls")),
    path("directory/", include("palermo.directory.urls")),
    path("help/", include("palermo.directory.public_urls")),
    path("partners/", include("palermo.partners.urls")),
    path("notifications/", include("palermo.notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
]

handler400 = "palermo.web.views.bad_request"
handler403 = "palermo.web.views.permission_denied"
handler404 = "palermo.web.views.page_not_found"
handler500 = "palermo.web.views.server_error"

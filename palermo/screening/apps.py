from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "palermo.screening"
    label = "screening"
    verbose_name = "Screening"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm
        from palermo.web.navigation import register_nav

        register_nav("screening:list", _("Screening"), Perm.SCREENING_CONDUCT, order=30)
        # The competent authority reviews without conducting: its way in is the review queue.
        register_nav("screening:reviews", _("Reviews"), Perm.SCREENING_REVIEW, order=31)

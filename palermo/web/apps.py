from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "palermo.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm

        from .navigation import register_nav

        # The foundation's own pages; every other app registers its entries in its ready().
        register_nav("web:home", _("Home"), None, order=0)
        register_nav("people:list", _("People"), Perm.PERSON_VIEW, order=20)
        register_nav("audit:list", _("Audit log"), Perm.AUDIT_VIEW, order=90)
        register_nav("accounts:tokens", _("API tokens"), None, order=95)

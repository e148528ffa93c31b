from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "palermo.directory"
    label = "directory"
    verbose_name = "Directory"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm
        from palermo.cases.sections import register_case_section
        from palermo.web.navigation import register_nav

        from .case_section import section_context

        # Everyone who refers people finds services; managers get their own page.
        register_nav("directory:search", _("Directory"), Perm.REFERRAL_SEND, 40)
        register_nav("directory:manage", _("Manage directory"), Perm.DIRECTORY_MANAGE, 85)
        register_case_section("directory", "directory/case_section.html", section_context, 60)

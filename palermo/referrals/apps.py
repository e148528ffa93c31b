from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DEADLINE_JOB_EVERY = timedelta(hours=1)


class ReferralsConfig(AppConfig):
    name = "palermo.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm
        from palermo.cases.sections import register_case_section, register_dashboard_panel
        from palermo.notifications.services import register_kind
        from palermo.web.navigation import register_nav
        from palermo.worker.periodic import register_periodic

        from . import sections

        register_nav("referrals:received", _("Referrals"), Perm.CASE_VIEW, 45)
        register_kind("referral.received", _("Referral %(reference)s is waiting for your answer."))
        register_kind("referral.accepted", _("Referral %(reference)s was accepted."))
        register_kind("referral.declined", _("Referral %(reference)s was declined."))
        register_kind("referral.done", _("The service of referral %(reference)s is done."))
        register_kind("referral.revoked", _("Referral %(reference)s was revoked by its sender."))
        register_kind(
            "referral.due_soon", _("Referral %(reference)s must be answered by its deadline soon.")
        )
        register_kind(
            "referral.overdue", _("Referral %(reference)s was not answered by its deadline.")
        )
        register_periodic(
            "referral-deadlines",
            every=DEADLINE_JOB_EVERY,
            task_path="palermo.referrals.tasks.referral_deadlines",
        )
        register_case_section(
            "referrals", "referrals/case_section.html", sections.case_section, order=50
        )
        register_dashboard_panel(
            "referrals-waiting",
            "referrals/dashboard_panel.html",
            sections.dashboard_panel,
            order=30,
        )

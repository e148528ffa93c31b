from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "palermo.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm
        from palermo.notifications.services import register_kind
        from palermo.web.navigation import register_nav
        from palermo.worker.periodic import register_periodic

        register_nav(
            "partners:incoming_list", _("Referrals from abroad"), Perm.REFERRAL_RESPOND, 58
        )
        register_nav("partners:manage", _("Partner deployments"), Perm.PARTNER_MANAGE, 85)
        register_kind(
            "partner.referral_received",
            _("Referral %(reference)s from a partner abroad is waiting for your answer."),
        )
        register_kind(
            "partner.referral_revoked",
            _("The partner abroad revoked referral %(reference)s: review what was done with it."),
        )
        register_periodic(
            "partners-retry-delivery",
            every=30,
            task_path="palermo.partners.tasks.retry_due_packages",
        )

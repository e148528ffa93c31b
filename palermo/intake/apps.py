from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

TIP_SPOOL_EVERY_SECONDS = 10


class IntakeConfig(AppConfig):
    name = "palermo.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm
        from palermo.web.navigation import register_nav
        from palermo.worker.periodic import register_periodic

        register_nav("intake:console", _("Hotline"), Perm.CONTACT_VIEW, 15)
        register_nav("intake:statistics", _("Intake statistics"), Perm.INTAKE_STATISTICS, 70)
        register_periodic(
            "intake-replay-tips",
            every=TIP_SPOOL_EVERY_SECONDS,
            task_path="palermo.intake.tasks.replay_tip_spool",
        )

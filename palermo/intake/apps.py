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
        register_nav("intake:situations", _("Situations"), Perm.CONTACT_VIEW, 16)
        register_nav("intake:campaigns", _("Campaigns"), Perm.CAMPAIGN_MANAGE, 72)
        register_nav("intake:statistics", _("Intake statistics"), Perm.INTAKE_STATISTICS, 70)
        register_periodic(
            "intake-replay-tips",
            every=TIP_SPOOL_EVERY_SECONDS,
            task_path="palermo.intake.tasks.replay_tip_spool",
        )
        # Files sealed with the vault's keys, re-sealed by `palermo rotate-keys`.
        from palermo.vault.files import register_encrypted_files, sealed_text_directory

        from . import tip_spool
        from .attachments import ATTACHMENT_FILES

        register_encrypted_files(ATTACHMENT_FILES)
        register_encrypted_files(
            sealed_text_directory(
                "intake tip spool",
                tip_spool.spool_dir,
                suffix=tip_spool.SUFFIX,
                associated_data=tip_spool.ASSOCIATED_DATA,
            )
        )

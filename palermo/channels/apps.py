from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "palermo.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from palermo.accounts.roles import Perm
        from palermo.web.navigation import register_nav
        from palermo.worker.periodic import register_periodic

        register_nav("channels:admin_list", _("SMS channels"), Perm.CHANNEL_MANAGE, 80)
        register_periodic(
            "channels-replay-spool", every=5, task_path="palermo.channels.tasks.replay_spool"
        )
        register_periodic(
            "channels-hand-off", every=2, task_path="palermo.channels.tasks.hand_off_inbound"
        )
        register_periodic(
            "channels-retry-outbound", every=60, task_path="palermo.channels.tasks.retry_outbound"
        )
        # The spool's files are sealed with the vault's keys: `palermo rotate-keys` re-seals them.
        from palermo.vault.files import register_encrypted_files, sealed_text_directory

        from . import spool

        register_encrypted_files(
            sealed_text_directory(
                "channels spool",
                spool.spool_dir,
                suffix=spool.SUFFIX,
                associated_data=spool.ASSOCIATED_DATA,
            )
        )

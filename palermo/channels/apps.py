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

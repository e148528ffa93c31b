from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PURGE_EVERY = timedelta(hours=6)
SMS_CONVERSATIONS_EVERY = timedelta(minutes=5)


class SafetravelConfig(AppConfig):
    name = "palermo.safetravel"
    label = "safetravel"
    verbose_name = "Safe travel"

    def ready(self) -> None:
        from django.conf import settings

        from palermo.accounts.roles import Perm
        from palermo.web.navigation import register_nav
        from palermo.worker.periodic import register_periodic

        from . import checks  # noqa: F401  (registers the system checks)

        register_nav("safetravel:alerts", _("Travel alerts"), Perm.TRAVEL_ALERT_VIEW, 60)
        # The scheduler's short cycle: due check-ins, the ladder, and sending.
        register_periodic(
            "travel-tick",
            every=max(int(settings.PALERMO_TRAVEL_TICK_SECONDS), 1),
            task_path="palermo.safetravel.tasks.travel_tick",
        )
        register_periodic(
            "travel-purge", every=PURGE_EVERY, task_path="palermo.safetravel.tasks.purge_trips"
        )
        # SMS conversations nobody answered in time (their answers are personal data).
        register_periodic(
            "travel-sms-conversations",
            every=SMS_CONVERSATIONS_EVERY,
            task_path="palermo.safetravel.tasks.expire_sms_conversations",
        )

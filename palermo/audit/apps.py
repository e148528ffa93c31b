from datetime import timedelta

from django.apps import AppConfig

VERIFY_EVERY = timedelta(days=1)


class AuditConfig(AppConfig):
    name = "palermo.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from palermo.worker.periodic import register_periodic

        # The worker proves the log intact daily (a broken chain is logged as an error), then
        # anchors its end outside the database.
        register_periodic(
            "audit-verify", every=VERIFY_EVERY, task_path="palermo.audit.tasks.verify_chain_task"
        )

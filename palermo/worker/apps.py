from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "palermo.worker"
    label = "worker"
    verbose_name = "Background work"

    def ready(self) -> None:
        from .periodic import register_periodic

        # Registered here until the audit app registers its own jobs in its AppConfig.ready().
        register_periodic(
            "audit-verify", every=24 * 60 * 60, task_path="palermo.audit.tasks.verify_chain_task"
        )

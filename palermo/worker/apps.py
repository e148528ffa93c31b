from django.apps import AppConfig


class WorkerConfig(AppConfig):
    """Periodic jobs are registered by the apps that own them, in their AppConfig.ready()."""

    name = "palermo.worker"
    label = "worker"
    verbose_name = "Background work"

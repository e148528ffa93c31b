from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "palermo.worker"
    label = "worker"
    verbose_name = "Background work"

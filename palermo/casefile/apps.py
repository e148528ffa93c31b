from django.apps import AppConfig


class CasefileConfig(AppConfig):
    name = "palermo.casefile"
    label = "casefile"
    verbose_name = "Casefile"

    def ready(self) -> None:
        from .sections import register

        register()

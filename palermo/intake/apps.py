from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "palermo.intake"
    label = "intake"
    verbose_name = "Intake"

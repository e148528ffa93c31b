from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "palermo.screening"
    label = "screening"
    verbose_name = "Screening"

from django.apps import AppConfig


class SafetravelConfig(AppConfig):
    name = "palermo.safetravel"
    label = "safetravel"
    verbose_name = "Safetravel"

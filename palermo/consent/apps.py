from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "palermo.consent"
    label = "consent"
    verbose_name = "Consent"

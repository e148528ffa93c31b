from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "palermo.demo"
    label = "demo"
    verbose_name = "Demo data"

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "palermo.people"
    label = "people"
    verbose_name = "People"

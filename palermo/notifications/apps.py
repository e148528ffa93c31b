from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "palermo.notifications"
    label = "notifications"
    verbose_name = "Notifications"

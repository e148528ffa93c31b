from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "palermo.channels"
    label = "channels"
    verbose_name = "Channels"

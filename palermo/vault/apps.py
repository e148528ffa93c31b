from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "palermo.vault"
    label = "vault"
    verbose_name = "Vault"

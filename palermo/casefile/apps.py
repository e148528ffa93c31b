from django.apps import AppConfig


class CasefileConfig(AppConfig):
    name = "palermo.casefile"
    label = "casefile"
    verbose_name = "Casefile"

    def ready(self) -> None:
        from palermo.vault.files import register_encrypted_files

        from .documents import DOCUMENT_FILES
        from .sections import register

        register()
        # Documents are sealed with the vault's keys: `palermo rotate-keys` re-seals them too.
        register_encrypted_files(DOCUMENT_FILES)

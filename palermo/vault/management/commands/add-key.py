"""`palermo add-key`: add a fresh encryption key to the key file and make it the active one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from palermo.vault.ciphers import VaultError
from palermo.vault.keys import add_key_to_file


class Command(BaseCommand):
    help = (
        "Add a fresh encryption key to the key file and make it active. Earlier keys stay, so "
        "existing values still open; then restart Palermo's processes and run `rotate-keys`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PALERMO_KEY_FILE:
            raise CommandError(
                "PALERMO_KEY_FILE is not set: with keys in the environment, add the new key to "
                "PALERMO_KEYS and point PALERMO_ACTIVE_KEY_ID at it instead."
            )
        path = Path(settings.PALERMO_KEY_FILE)
        try:
            key_id = add_key_to_file(path)
        except VaultError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Added key {key_id} to {path}; it is now active."))
        if settings.PALERMO_ACTIVE_KEY_ID and settings.PALERMO_ACTIVE_KEY_ID != key_id:
            self.stderr.write(
                f"Warning: PALERMO_ACTIVE_KEY_ID={settings.PALERMO_ACTIVE_KEY_ID} overrides the "
                "key file's choice; unset it or set it to the new id."
            )
        self.stdout.write(
            "Next: restart every Palermo process (they cache the keys), then run "
            "`palermo rotate-keys`. Keep the old keys until it reports nothing remaining."
        )

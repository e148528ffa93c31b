"""`palermo init-keys`: create the key file for personal-data encryption, never overwriting it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from palermo.vault.keys import write_new_key_file


class Command(BaseCommand):
    help = (
        "Create the key file named by PALERMO_KEY_FILE (one encryption key and one blind-index "
        "key, readable by its owner only). An existing file is never overwritten."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PALERMO_KEY_FILE:
            raise CommandError(
                "PALERMO_KEY_FILE is not set: this deployment takes its keys from the "
                "environment (PALERMO_KEYS, PALERMO_INDEX_KEY), so there is no file to create."
            )
        path = Path(settings.PALERMO_KEY_FILE)
        if not write_new_key_file(path):
            self.stdout.write(f"Key file {path} already exists; left unchanged.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"Created key file {path} (mode 0600) with key k1 and an index key.")
        )
        self.stdout.write(
            "Back it up somewhere safe and separate from the database backups: "
            "without it, the personal data cannot be read."
        )

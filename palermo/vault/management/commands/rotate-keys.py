"""`palermo rotate-keys`: re-encrypt every personal field, then every encrypted file
(attachments, spools), under the active key, in batches."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from palermo.accounts.actors import Actor
from palermo.audit.services import audit_record
from palermo.vault.ciphers import VaultError
from palermo.vault.files import encrypted_file_kinds, stale_files
from palermo.vault.keys import keyring
from palermo.vault.rotation import RotationReport, count_stale, encrypted_tables, rotate_all

MAX_FAILURES_SHOWN = 20


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column whose values are not under the active key, one "
        "batch per transaction, then every encrypted file (attachments, spools), one at a "
        "time. Safe to interrupt and to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=positive_int, default=500, help="rows per transaction (500)"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="decrypt and count what would change, writing nothing",
        )

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        try:
            ring = keyring()
        except VaultError as exc:
            raise CommandError(str(exc)) from exc
        tables = encrypted_tables()
        file_kinds = encrypted_file_kinds()
        total = sum(count_stale(table, ring.active_id) for table in tables) + sum(
            len(stale_files(kind, ring.active_id)) for kind in file_kinds
        )
        report = RotationReport(active_key_id=ring.active_id, dry_run=dry_run)
        # disable=None: a bar on a terminal, silence in logs and cron mail.
        with tqdm(total=total, unit="value", file=sys.stderr, disable=None) as bar:
            try:
                rotate_all(
                    batch_size=batch_size,
                    dry_run=dry_run,
                    tables=tables,
                    file_kinds=file_kinds,
                    report=report,
                    on_progress=bar.update,
                )
            finally:
                # One audit event per run, also for a run that stopped half-way.
                if not dry_run:
                    self._audit(report, batch_size)
        self._summarise(report)
        if report.failures:
            raise CommandError(
                f"{len(report.failures)} value(s) could not be decrypted; keep every old key "
                "until they are repaired."
            )

    def _audit(self, report: RotationReport, batch_size: int) -> None:
        audit_record(
            actor=Actor.system("rotate-keys"),
            action="vault.rotate_keys",
            details={
                "active_key_id": report.active_key_id,
                "batch_size": batch_size,
                "completed": report.completed,
                "tables": {name: t.as_dict() for name, t in report.tables.items()},
                "files": {name: f.as_dict() for name, f in report.files.items()},
            },
        )

    def _summarise(self, report: RotationReport) -> None:
        verb = "would re-encrypt" if report.dry_run else "re-encrypted"
        self.stdout.write(f"Active key: {report.active_key_id}")
        for name, table in report.tables.items():
            self.stdout.write(
                f"  {name}: {verb} {table.rotated} row(s), skipped {table.skipped} changed "
                f"meanwhile, {table.failed} failed, {table.remaining} not yet under the active key"
            )
        for name, files in report.files.items():
            self.stdout.write(
                f"  {name}: {verb} {files.rotated} file(s), skipped {files.skipped} busy, "
                f"{files.failed} failed, {files.remaining} not yet under the active key"
            )
        for failure in report.failures[:MAX_FAILURES_SHOWN]:
            self.stderr.write(f"  failed: {failure}")
        if len(report.failures) > MAX_FAILURES_SHOWN:
            self.stderr.write(f"  … and {len(report.failures) - MAX_FAILURES_SHOWN} more")
        remaining = report.total("remaining")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif remaining == 0 and not report.failures:
            self.stdout.write(
                self.style.SUCCESS(
                    "Every encrypted value is under the active key; older keys may be retired."
                )
            )
        else:
            rows = sum(t.remaining for t in report.tables.values())
            files_left = sum(f.remaining for f in report.files.values())
            left = [f"{rows} row(s) still hold values under other keys"] if rows else []
            if files_left:
                left.append(f"{files_left} file(s) are still sealed with other keys")
            if not left:  # nothing remaining, but failures: reported above
                left.append(f"{len(report.failures)} value(s) could not be read")
            self.stdout.write(
                "; ".join(left) + ": run again "
                "(after restarting processes that may still use an old active key)."
            )

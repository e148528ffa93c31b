"""`palermo audit verify`: prove the audit log intact, or name the first event where it is not.

`palermo audit checkpoint`: anchor the chain's current end outside the database.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from palermo.audit.anchors import AnchorError, anchor_file, anchor_head
from palermo.audit.append_only import missing_triggers
from palermo.audit.chain import Row
from palermo.audit.verification import VerificationResult, verify_chain


def _accept_django_options(subcommand: argparse.ArgumentParser) -> None:
    """Django's own options work after the subcommand too (`audit verify -v 0`).

    argparse hands everything after a subcommand to its parser; SUPPRESS keeps the values
    given before it when the option is not repeated.
    """
    hidden = argparse.SUPPRESS
    subcommand.add_argument(
        "-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=hidden, help=hidden
    )
    for option in ("--settings", "--pythonpath"):
        subcommand.add_argument(option, default=hidden, help=hidden)
    for flag in ("--traceback", "--no-color", "--force-color", "--skip-checks"):
        subcommand.add_argument(flag, action="store_true", default=hidden, help=hidden)


class Command(BaseCommand):
    help = (
        "Audit log checks. verify: recompute the whole hash chain and compare it with its head "
        "and its anchors. checkpoint: anchor the chain's end outside the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="subcommand", required=True)
        verify = subcommands.add_parser(
            "verify",
            help="prove every event's hash and link, that none is missing at the end (by the "
            "chain head and the anchors), and that the append-only triggers are in place; "
            "exits 1 otherwise",
        )
        _accept_django_options(verify)
        verify.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (it is off anyway when stderr is not a terminal)",
        )
        verify.add_argument(
            "--anchor-file",
            type=Path,
            default=None,
            metavar="PATH",
            help="check the checkpoints of this file (for instance the copy kept by the remote "
            "log server) instead of PALERMO_AUDIT_ANCHOR_FILE",
        )
        checkpoint = subcommands.add_parser(
            "checkpoint",
            help="sign the chain's current end (sequence, hash, time) and append it to the "
            "anchor file and the palermo.audit.anchor log",
        )
        _accept_django_options(checkpoint)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(
                show_progress=not options["no_progress"] and options["verbosity"] > 0,
                anchors_from=options["anchor_file"],
            )
        elif options["subcommand"] == "checkpoint":
            self.checkpoint()

    def checkpoint(self) -> None:
        path = anchor_file()
        if path is None:
            raise CommandError("Anchoring is off: set PALERMO_AUDIT_ANCHOR_FILE.")
        try:
            written = anchor_head()
        except AnchorError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Checkpoint written to {path}: event #{written.sequence}, hash {written.hash}.",
            self.style.SUCCESS,
        )

    def verify(self, *, show_progress: bool, anchors_from: Path | None) -> None:
        # tqdm redraws with carriage returns: it needs the raw stream, not Django's wrapper,
        # which ends every write with a newline.
        stream: TextIO = getattr(self.stderr, "_out", sys.stderr)

        def progress(rows: Iterator[Row], total: int) -> Iterable[Row]:
            return tqdm(
                rows,
                total=total,
                file=stream,
                unit=" events",
                desc="Verifying",
                disable=None if show_progress else True,
                leave=False,
            )

        if anchors_from is not None and not anchors_from.is_file():
            raise CommandError(f"No anchor file at {anchors_from}.")
        result = verify_chain(progress=progress, anchors_from=anchors_from)
        failed = False
        if result.broken is not None:
            self.stderr.write(
                f"Audit log BROKEN at event #{result.broken.sequence}: {result.broken.reason}",
                self.style.ERROR,
            )
            failed = True
        for problem in result.anchors.problems if result.anchors is not None else []:
            self.stderr.write(f"Audit log BROKEN: {problem}", self.style.ERROR)
            failed = True
        if not failed:
            self.stdout.write(f"Audit log intact: {_summary(result)}", self.style.SUCCESS)
        missing = missing_triggers()
        if missing:
            self.stderr.write(
                "Audit log UNPROTECTED: these database triggers that refuse changes are "
                f"missing or disabled: {', '.join(missing)}. To recreate them: "
                "`palermo migrate audit 0001`, then `palermo migrate audit`.",
                self.style.ERROR,
            )
            failed = True
        if failed:
            # Like `migrate --check`: the exact message, then a non-zero exit for cron and CI.
            sys.exit(1)


def _summary(result: VerificationResult) -> str:
    events = "event" if result.verified == 1 else "events"
    if result.anchors is None:
        return (
            f"{result.verified} {events} verified (anchoring is off: events removed from the "
            "end cannot be detected; set PALERMO_AUDIT_ANCHOR_FILE)."
        )
    anchors = "anchor" if result.anchors.checked == 1 else "anchors"
    return f"{result.verified} {events} verified against {result.anchors.checked} {anchors}."

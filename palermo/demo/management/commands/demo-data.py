"""`palermo demo-data`: load the deterministic, multi-country demo coalition."""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from palermo.demo.loader import (
    DEFAULT_SEED,
    SIZES,
    DemoError,
    DemoLoader,
    format_logins,
    parse_cases,
    parse_size,
    write_logins,
)


class Command(BaseCommand):
    help = f"""Load a fictional demo coalition: Moldova hosts it, with partners in eleven countries.

Creates an organisation of every HTCDS type, a user for every role (plus a second
organisation's case worker and a user with two memberships), and persons named in the
scripts and languages of their countries. The same --seed gives the same organisations,
users, passwords, TOTP secrets and persons every time. At the end it prints every login
(password, TOTP secret, current code) and writes them to var/demo-logins.txt (mode 0600).

Sizes: small = {SIZES["small"]} persons, large = {SIZES["large"]:,}, or N (exactly N persons).

--cases N adds N generated cases (for benchmarks: up to millions) to the demo persons of
the organisations that open cases, with their decisions, deadlines, case workers (generated
staff users, about one per 400 cases) and referrals to other organisations in every state.

Running it again with the same seed and size does nothing and prints the logins again.
--resume continues a load of the same seed that was interrupted (persons and cases are
written a transaction per chunk, in order), or adds --cases to a finished load.
If other demo persons are there (another size or seed), it refuses: --reset deletes the
demo persons first. Demo users and organisations are kept and refreshed, never deleted,
because the audit log refers to them. A user whose name a demo user needs (e.g. 'supervisor')
but who is not a demo user stops the load before anything is written.
"""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter  # keep the paragraphs above
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--size", default="small", help="small, large or a number of persons (default small)"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"seed of everything generated (default {DEFAULT_SEED}, the Palermo Protocol)",
        )
        parser.add_argument(
            "--cases", default="0", help="a number of generated cases to add (default 0)"
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo persons first, then load"
        )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="continue an interrupted load of the same seed (or add --cases to one)",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="allow loading with production settings (a public demo server only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get(
            "DJANGO_SETTINGS_MODULE", ""
        )
        if module.endswith(".production") and not options["allow_production"]:
            raise CommandError(
                "These are production settings: demo logins are guessable from the seed. "
                "Pass --allow-production only for a server that holds no real data."
            )
        verbosity = int(options["verbosity"])
        # The progress bar goes straight to the error stream (Django's wrapper adds newlines).
        progress = getattr(self.stderr, "_out", sys.stderr) if verbosity > 0 else None
        try:
            size = parse_size(options["size"])
            cases = parse_cases(options["cases"])
            result = DemoLoader(options["seed"], progress=progress).load(
                size, reset=options["reset"], cases=cases, resume=options["resume"]
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc

        if result.already_loaded:
            self.stdout.write(
                f"Demo data is already loaded: {result.persons} persons, seed {result.seed}. "
                "Nothing changed."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {result.organisations} organisations, {result.users} users, "
                    f"{result.persons} persons and {result.cases} generated cases "
                    f"(seed {result.seed}) in {result.seconds} s."
                )
            )
        table = format_logins(result.logins, result.seed)
        path = write_logins(table)
        self.stdout.write("")
        self.stdout.write(table)
        self.stdout.write(f"\nWritten to {path} (readable by you only).")

"""`palermo screening instruments` and `palermo screening assess --instrument ID --answers FILE`.

The assessment is printed as JSON (outcome, Palermo elements, dimensions, indicators raised and
the explanation trail). Bad input — unknown instrument, unreadable or malformed answers file,
unknown question, invalid answer — ends with a clear message and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from palermo.screening.instruments import (
    LANGUAGES,
    AnswerError,
    InstrumentError,
    all_instruments,
    localised,
)
from palermo.screening.rules import assess


def _accept_django_options(subcommand: argparse.ArgumentParser) -> None:
    """Django's own options work after the subcommand too (`screening assess … -v 0`)."""
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
        "Screening instruments and the Palermo assessment. instruments: list ids and versions; "
        "assess: print the explained assessment of an answers file as JSON."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="subcommand", required=True)
        listing = subcommands.add_parser(
            "instruments", help="list the instruments: id, version, population, scope, title"
        )
        _accept_django_options(listing)
        listing.add_argument("--json", action="store_true", help="print the list as JSON")
        listing.add_argument("--language", choices=LANGUAGES, default="en", help="title language")

        assessment = subcommands.add_parser(
            "assess",
            help="assess an answers file (a JSON object: question id → answer value; "
            "see palermo/screening/instruments/README.md)",
        )
        _accept_django_options(assessment)
        assessment.add_argument("--instrument", required=True, help="instrument id")
        assessment.add_argument("--answers", required=True, help="answers file (JSON), - for stdin")
        age = assessment.add_mutually_exclusive_group()
        age.add_argument(
            "--child",
            dest="is_child",
            action="store_const",
            const=True,
            default=None,
            help="the person is under 18 (the child rule applies)",
        )
        age.add_argument(
            "--adult",
            dest="is_child",
            action="store_const",
            const=False,
            help="the person is 18 or over",
        )
        assessment.add_argument(
            "--language",
            choices=LANGUAGES,
            default="en",
            help="language of the explanation messages (default en)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            instruments = all_instruments()
        except InstrumentError as error:
            raise CommandError(f"malformed instrument file: {error}") from None
        if options["subcommand"] == "instruments":
            self._list(instruments, as_json=options["json"], language=options["language"])
        else:
            self._assess(instruments, options)

    def _list(self, instruments: dict, *, as_json: bool, language: str) -> None:
        rows = [
            {
                "id": instrument.id,
                "version": instrument.version,
                "population": instrument.population.value,
                "exploitation_scope": instrument.exploitation_scope.value,
                "title": localised(instrument.title, language),
            }
            for instrument in instruments.values()
        ]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        width = max((len(row["id"]) for row in rows), default=2)
        self.stdout.write(
            f"{'id':<{width}}  {'version':<8}  {'population':<10}  {'scope':<7}  title"
        )
        for row in rows:
            self.stdout.write(
                f"{row['id']:<{width}}  {row['version']:<8}  {row['population']:<10}  "
                f"{row['exploitation_scope']:<7}  {row['title']}"
            )

    def _assess(self, instruments: dict, options: dict[str, Any]) -> None:
        instrument_id = options["instrument"]
        if instrument_id not in instruments:
            known = ", ".join(sorted(instruments))
            raise CommandError(f"unknown instrument {instrument_id!r}; known: {known}")
        answers = self._read_answers(options["answers"])
        try:
            assessment = assess(instruments[instrument_id], answers, is_child=options["is_child"])
        except AnswerError as error:
            raise CommandError(f"invalid answer for question {error}") from None
        self.stdout.write(
            json.dumps(assessment.to_dict(options["language"]), ensure_ascii=False, indent=2)
        )

    def _read_answers(self, name: str) -> dict[str, Any]:
        try:
            if name == "-":
                import sys

                text = sys.stdin.read()
            else:
                text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the answers file {name}: {error}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"the answers file {name} is not valid JSON: {error.msg} "
                f"(line {error.lineno}, column {error.colno})"
            ) from None
        if not isinstance(data, dict):
            raise CommandError(
                f"the answers file {name} must be a JSON object mapping question ids to answers"
            )
        return data

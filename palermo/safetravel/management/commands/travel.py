"""`palermo travel …`: run the safe-travel scheduler by hand, purge, and look at its health.

palermo travel tick [--now 2025-03-01T20:05:00Z] [--no-deliver]
palermo travel purge [--now …]
palermo travel status
"""

from __future__ import annotations

import argparse
import datetime
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from palermo.safetravel import scheduler, services


def _accept_django_options(subcommand: argparse.ArgumentParser) -> None:
    """Django's own options work after the subcommand too (`travel tick -v 0`)."""
    hidden = argparse.SUPPRESS
    subcommand.add_argument(
        "-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=hidden, help=hidden
    )
    for option in ("--settings", "--pythonpath"):
        subcommand.add_argument(option, default=hidden, help=hidden)
    for flag in ("--traceback", "--no-color", "--force-color", "--skip-checks"):
        subcommand.add_argument(flag, action="store_true", default=hidden, help=hidden)


def parse_now(text: str | None) -> datetime.datetime:
    """An ISO 8601 time; without a zone it is UTC. None: the present."""
    if not text:
        return timezone.now()
    try:
        value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(
            f"--now must be an ISO 8601 time like 2025-03-01T20:05:00Z, not {text!r}"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


class Command(BaseCommand):
    help = "Safe travel: run one scheduler cycle (tick), purge ended trips, show the state."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="subcommand", required=True)
        tick = sub.add_parser(
            "tick",
            help="run one scheduler cycle as if at --now (default: the present), printing "
            "every step it sent, skipped or held back",
        )
        _accept_django_options(tick)
        tick.add_argument("--now", help="ISO 8601 time, e.g. 2025-03-01T20:05:00Z (UTC if no zone)")
        tick.add_argument(
            "--no-deliver",
            action="store_true",
            help="record the steps but leave their messages for the worker to send",
        )
        tick.add_argument("--json", action="store_true", help="print a JSON summary too")
        purge = sub.add_parser(
            "purge", help="delete trips ended more than PALERMO_TRAVEL_PURGE_AFTER_DAYS ago"
        )
        _accept_django_options(purge)
        purge.add_argument("--now", help="ISO 8601 time to purge as of (default: the present)")
        status = sub.add_parser("status", help="how far behind the scheduler is, what waits")
        _accept_django_options(status)
        seed = sub.add_parser(
            "seed",
            help="insert synthetic armed TEST trips in bulk, for load tests (never in production)",
        )
        _accept_django_options(seed)
        seed.add_argument("--trips", type=int, required=True, help="how many trips")
        seed.add_argument("--due-from", help="ISO 8601 time of the first due check-in (now)")
        seed.add_argument(
            "--spread-seconds", type=float, default=86400.0, help="due times spread over (86400)"
        )
        seed.add_argument("--contacts", type=int, default=1, help="confirmed contacts per trip")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "tick":
            self.tick(options)
        elif subcommand == "purge":
            counts = services.trips_purge(now=parse_now(options.get("now")))
            self.stdout.write(
                f"Purged {counts['trips']} trip(s) and {counts['verification_codes']} "
                "expired verification code(s)."
            )
        elif subcommand == "status":
            self.stdout.write(json.dumps(scheduler.scheduler_health(), indent=2))
        elif subcommand == "seed":
            self.seed(options)

    def seed(self, options: dict[str, Any]) -> None:
        from palermo.safetravel.seeding import seed_trips

        if not 1 <= options["trips"] <= 10_000_000 or not 1 <= options["contacts"] <= 10:
            raise CommandError("--trips must be 1 to 10,000,000 and --contacts 1 to 10.")
        made = seed_trips(
            count=options["trips"],
            due_from=parse_now(options.get("due_from")),
            spread=datetime.timedelta(seconds=options["spread_seconds"]),
            contacts_per_trip=options["contacts"],
        )
        self.stdout.write(json.dumps(made))

    def tick(self, options: dict[str, Any]) -> None:
        now = parse_now(options.get("now"))
        report = scheduler.run_cycle(now=now, deliver=not options["no_deliver"])
        for line in report.lines():
            self.stdout.write(line)
        if options["verbosity"]:
            summary = report.as_dict()
            self.stdout.write(
                f"Tick at {now:%Y-%m-%dT%H:%M:%SZ}: {summary['steps_sent']} step(s) sent, "
                f"{summary['outages']} held back after an outage, {summary['steps_skipped']} "
                f"skipped; {summary['messages_delivered']} message(s) handed to providers"
                + (f", {summary['messages_failed']} failed" if summary["messages_failed"] else "")
                + "."
            )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))

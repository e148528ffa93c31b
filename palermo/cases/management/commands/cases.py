"""`palermo cases …`: the lifecycle configuration in force, and the deadline notices.

palermo cases lifecycle [--file PATH] [--json]   check and print the rules in force
palermo cases check-all                           check every shipped lifecycle file
palermo cases remind [--limit N]                  send due reminders and overdue notices now
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from palermo.cases import lifecycle
from palermo.cases.reminders import pending_counts, send_deadline_notices


class Command(BaseCommand):
    help = "Case lifecycle configuration and deadline notices."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("lifecycle", help="check and print the lifecycle in force")
        show.add_argument("--file", help="check this file instead of the one in force")
        show.add_argument("--json", action="store_true", help="print it as JSON")
        sub.add_parser("check-all", help="check every lifecycle file shipped with Palermo")
        remind = sub.add_parser("remind", help="send the reminders and overdue notices due now")
        remind.add_argument("--limit", type=int, default=None, help="at most this many deadlines")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "lifecycle":
            self._lifecycle(options.get("file"), options["json"])
        elif action == "check-all":
            self._check_all()
        else:
            self._remind(options.get("limit"))

    def _load(self, path: str | None) -> lifecycle.Lifecycle:
        try:
            if path:
                return lifecycle.load_lifecycle(Path(path), lifecycle.deployment_country())
            return lifecycle.lifecycle_in_force()
        except lifecycle.LifecycleError as exc:
            raise CommandError(str(exc)) from exc

    def _lifecycle(self, path: str | None, as_json: bool) -> None:
        loaded = self._load(path)
        if as_json:
            self.stdout.write(json.dumps(loaded.describe("en"), ensure_ascii=False, indent=2))
            return
        country = lifecycle.deployment_country() or "(not set)"
        self.stdout.write(f"{loaded.title} — {loaded.source}")
        self.stdout.write(
            f"PALERMO_COUNTRY: {country}; public holidays of: {loaded.country or 'none'}"
        )
        extra = sorted(d.isoformat() for d in loaded.calendar_rule.extra_holidays)
        self.stdout.write(f"Extra holidays: {', '.join(extra) or 'none'}")
        self.stdout.write(
            f"Who refers: {_who(loaded.referral.describe())}; "
            f"adults need consent: {'yes' if loaded.adult_consent else 'no'}; "
            f"reminders {loaded.reminder_days} day(s) before"
        )
        for stage in loaded.ordered_stages():
            parts = [f"  {stage.key:<20} {stage.label('en')} [{stage.status}]"]
            if stage.deadline:
                unit = "working days" if stage.deadline.working else "days"
                parts.append(f"deadline {stage.deadline.days} {unit}")
            if stage.minimum_days:
                parts.append(f"at least {stage.minimum_days} days")
            if stage.decision:
                parts.append(
                    f"{stage.decision.key} by {_who(stage.decision.deciders.describe())}: "
                    f"+ → {stage.decision.positive}, − → {stage.decision.negative}"
                )
            if stage.next:
                parts.append(f"next → {stage.next}")
            self.stdout.write("; ".join(parts))
        closure = loaded.closure
        self.stdout.write(
            f"Closure reasons: {', '.join(closure.reasons)}; reopen: "
            + (
                f"to {closure.reopen_stage} within {closure.reopen_within_days} days"
                if closure.reopen
                else "no"
            )
        )
        self.stdout.write(self.style.SUCCESS("The configuration is valid."))

    def _check_all(self) -> None:
        failed = False
        for path in lifecycle.available_lifecycles():
            try:
                lifecycle.load_lifecycle(path)
            except lifecycle.LifecycleError as exc:
                failed = True
                self.stderr.write(str(exc))
            else:
                self.stdout.write(f"{path.name}: valid")
        if failed:
            raise CommandError("Some lifecycle files are not valid.")

    def _remind(self, limit: int | None) -> None:
        self._load(None)
        reminders, overdue = pending_counts()
        total = reminders + overdue if limit is None else min(limit, reminders + overdue)
        with tqdm(total=total, unit=" deadlines", disable=total < 500, file=self.stderr) as bar:
            report = send_deadline_notices(limit=limit, progress=_advance(bar))
        counts = report.as_dict()
        self.stdout.write(
            "Reminders: {reminded}; overdue notices: {overdue}; recovery periods ended: "
            "{periods_ended}; already handled elsewhere: {skipped}".format(**counts)
        )


def _advance(bar: tqdm[Any]) -> Callable[[int], None]:
    def step(n: int) -> None:
        bar.update(n)

    return step


def _who(described: dict[str, list[str]]) -> str:
    roles = ", ".join(described["roles"]) or "any role"
    types = ", ".join(described["organisation_types"]) or "any organisation"
    return f"{roles} in {types}"

"""`palermo intake …`: campaigns, the tip spool, and the extraction quality report.

palermo intake campaign-create --organisation UUID --name NAME [--number 527 …]
                               [--code BUS24 …] [--web-tips]
palermo intake campaigns
palermo intake replay-tips
palermo intake extraction-report [--mistakes]
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.audit.services import audit_record
from palermo.intake import tip_spool
from palermo.intake.extraction_quality import evaluate, format_table, load_labelled
from palermo.intake.models import Campaign


class Command(BaseCommand):
    help = "Intake: campaigns, the tip spool, the identifier-extraction report."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("campaign-create", help="create a campaign (attribution)")
        create.add_argument("--organisation", required=True, help="the owner's public id")
        create.add_argument("--name", required=True)
        create.add_argument("--number", action="append", default=[], help="a published number")
        create.add_argument("--code", action="append", default=[], help="a poster or QR code")
        create.add_argument("--posters", default="", help="where the posters hang")
        create.add_argument(
            "--web-tips", action="store_true", help="this campaign receives the public tip form"
        )
        sub.add_parser("campaigns", help="list the campaigns")
        sub.add_parser("replay-tips", help="store the tips spooled while the database was down")
        report = sub.add_parser("extraction-report", help="precision and recall per identifier")
        report.add_argument("--mistakes", action="store_true", help="also list every mistake")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "extraction-report":
            rows = load_labelled()
            scores, mistakes = evaluate(rows)
            self.stdout.write(format_table(scores, len(rows)))
            if options["mistakes"]:
                self.stdout.write("\n".join(mistakes))
        elif action == "replay-tips":
            report = tip_spool.replay()
            self.stdout.write(
                f"stored {report.stored}, already stored {report.duplicates}, "
                f"rejected {report.rejected}, left {report.remaining}"
                + (f" (stopped: {report.stopped_by})" if report.stopped_by else "")
            )
        elif action == "campaigns":
            for campaign in Campaign.objects.select_related("owner_organisation"):
                flags = " [tip form]" if campaign.receives_web_tips else ""
                self.stdout.write(
                    f"{campaign.public_id}  {campaign.owner_organisation.name} · {campaign.name}"
                    f"  numbers={','.join(map(str, campaign.numbers)) or '-'}"
                    f"  codes={','.join(map(str, campaign.codes)) or '-'}{flags}"
                )
        else:
            self._create(options)

    def _create(self, options: dict[str, Any]) -> None:
        organisation = Organisation.objects.filter(public_id=options["organisation"]).first()
        if organisation is None:
            raise CommandError("No organisation has that public id.")
        try:
            with transaction.atomic():
                campaign = Campaign.objects.create(
                    owner_organisation=organisation,
                    name=options["name"][:120],
                    numbers=list(options["number"]),
                    codes=[c.upper() for c in options["code"]],
                    posters=options["posters"],
                    receives_web_tips=options["web_tips"],
                )
                audit_record(
                    actor=Actor.system("intake-command"),
                    action="campaign.create",
                    object_type="campaign",
                    object_id=str(campaign.public_id),
                    details={"web_tips": campaign.receives_web_tips},
                )
        except IntegrityError as exc:
            raise CommandError(
                "A campaign of that name exists, or another campaign already receives the tip form."
            ) from exc
        self.stdout.write(str(campaign.public_id))

"""`palermo partner`: this deployment's partner keys, and the registry of trusted partners.

    palermo partner keys [--init]       prints this deployment's key string (stdout) and its
                                        fingerprint (stderr); --init creates the keys if missing
    palermo partner add --name NAME --url URL --public-key KEY [--country CC]
                        [--receiving-organisation ORG]
    palermo partner list
    palermo partner deactivate PARTNER | activate PARTNER | remove PARTNER
    palermo partner set-organisation PARTNER ORG

PARTNER is a partner's UUID or exact name; ORG an organisation's UUID or exact name.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from palermo.accounts.actors import Actor
from palermo.errors import ApplicationError
from palermo.partners import services
from palermo.partners.keys import (
    PartnerKeysMissing,
    deployment_keys,
    key_file_path,
    write_new_key_file,
)
from palermo.partners.models import PartnerDeployment


class Command(BaseCommand):
    help = "Partner deployments: keys, add, list, deactivate, activate, remove, set-organisation."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        keys = commands.add_parser("keys", help="print this deployment's public key string")
        keys.add_argument(
            "--init",
            action="store_true",
            help="create the key file named by PALERMO_PARTNER_KEY_FILE if it is missing",
        )
        add = commands.add_parser("add", help="register a trusted partner deployment")
        add.add_argument("--name", required=True)
        add.add_argument("--url", required=True, help="its base address, https://…")
        add.add_argument("--public-key", required=True, help="its key string (partner keys)")
        add.add_argument("--country", default="", help="ISO 3166 alpha-2 code")
        add.add_argument(
            "--receiving-organisation",
            default="",
            help="organisation (UUID or exact name) that receives its referrals",
        )
        commands.add_parser("list", help="list the partners with their fingerprints")
        for name, text in (
            ("deactivate", "refuse its packages and send it nothing"),
            ("activate", "trust it again"),
            ("remove", "delete a partner that never exchanged anything"),
        ):
            sub = commands.add_parser(name, help=text)
            sub.add_argument("partner", help="UUID or exact name")
        organisation = commands.add_parser(
            "set-organisation", help="choose the organisation that receives its referrals"
        )
        organisation.add_argument("partner", help="UUID or exact name")
        organisation.add_argument("organisation", help="UUID or exact name; '' for the default")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        actor = Actor.operator(f"partner {action}")
        try:
            if action == "keys":
                self._keys(init=options["init"])
            elif action == "add":
                self._add(actor, options)
            elif action == "list":
                self._list()
            elif action in ("deactivate", "activate"):
                partner = self._partner(options["partner"])
                changed = services.partner_set_active(
                    actor=actor, partner=partner, active=action == "activate"
                )
                state = "active" if partner.active else "inactive"
                self.stdout.write(
                    f"{partner.name} is {state}." + ("" if changed else " (It already was.)")
                )
            elif action == "remove":
                partner = self._partner(options["partner"])
                services.partner_remove(actor=actor, partner=partner)
                self.stdout.write(f"{partner.name} removed.")
            elif action == "set-organisation":
                partner = self._partner(options["partner"])
                organisation = services.resolve_organisation(options["organisation"])
                if options["organisation"].strip() and organisation is None:
                    raise CommandError(f"No organisation {options['organisation']!r}.")
                assigned = services.partner_set_receiving_organisation(
                    actor=actor, partner=partner, organisation=organisation
                )
                self.stdout.write(
                    f"{partner.name}: referrals go to "
                    f"{organisation.name if organisation else 'the deployment default'}"
                    f" ({assigned} waiting referral(s) assigned)."
                )
        except ApplicationError as exc:
            problems = "; ".join(
                f"{name}: {' '.join(str(m) for m in messages)}"
                for name, messages in exc.fields.items()
            )
            raise CommandError(f"{exc.message}" + (f" {problems}" if problems else "")) from exc

    def _keys(self, *, init: bool) -> None:
        if init:
            path = key_file_path()
            if path is None:
                raise CommandError(
                    "PALERMO_PARTNER_KEY_FILE is not set: set it, or give the keys in "
                    "PALERMO_PARTNER_SIGNING_KEY and PALERMO_PARTNER_ENCRYPTION_KEY."
                )
            if write_new_key_file(path):
                self.stderr.write(f"Created the partner key file {path} (mode 0600).")
                self.stderr.write(
                    "Back it up apart from the database: a new key means every partner must "
                    "register this deployment again."
                )
            else:
                self.stderr.write(f"The partner key file {path} already exists; left unchanged.")
        try:
            public = deployment_keys().public
        except PartnerKeysMissing as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(public.key_string())
        self.stderr.write(f"Fingerprint: {public.short_fingerprint}")
        self.stderr.write(
            "Give the line above to the partner's administrator; then read them the "
            "fingerprint on the phone and have them compare it with what `palermo partner add` "
            "prints on their side."
        )

    def _add(self, actor: Actor, options: dict[str, Any]) -> None:
        organisation = services.resolve_organisation(options["receiving_organisation"])
        if options["receiving_organisation"].strip() and organisation is None:
            raise CommandError(f"No organisation {options['receiving_organisation']!r}.")
        partner = services.partner_add(
            actor=actor,
            name=options["name"],
            url=options["url"],
            public_key=options["public_key"],
            country=options["country"],
            receiving_organisation=organisation,
        )
        self.stdout.write(f"Registered {partner.name} ({partner.public_id}).")
        self.stdout.write(f"Fingerprint: {services.fingerprint_of(partner)}")
        self.stdout.write(
            "Read it to the partner's administrator on the phone: it must match what "
            "`palermo partner keys` shows on their server."
        )

    def _list(self) -> None:
        partners = list(PartnerDeployment.objects.select_related("receiving_organisation"))
        if not partners:
            self.stdout.write("No partner deployments.")
            return
        for partner in partners:
            organisation = services.designated_organisation(partner)
            self.stdout.write(
                f"{partner.public_id}  {'active  ' if partner.active else 'inactive'}  "
                f"{services.fingerprint_of(partner)}  {partner.name}  {partner.url}  "
                f"-> {organisation.name if organisation else '(no receiving organisation)'}"
            )

    def _partner(self, value: str) -> PartnerDeployment:
        import uuid

        try:
            partner = PartnerDeployment.objects.filter(public_id=uuid.UUID(value)).first()
        except ValueError:
            partner = PartnerDeployment.objects.filter(name=value).first()
        if partner is None:
            raise CommandError(f"No partner deployment {value!r}.")
        return partner

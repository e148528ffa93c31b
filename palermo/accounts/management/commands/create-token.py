"""`palermo create-token`: an API token for a user's membership of an organisation.

For operators with shell access to the server (members create their own tokens on the page).
The audit log and the token record name the operator (the account running the command) as
the creator, and the purpose must be one the member's role allows (ROLE_ALLOWED_PURPOSES).

Prints only the secret on standard output (so `TOKEN=$(palermo create-token …)` works) and
what was created on standard error. The secret is shown this once and never stored.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, User
from palermo.accounts.roles import ROLE_ALLOWED_PURPOSES, Purpose, Role
from palermo.accounts.services import TOKEN_MAX_DAYS, api_token_create
from palermo.errors import ApplicationError


class Command(BaseCommand):
    help = "Create an API token acting for a user's membership of an organisation, for a purpose."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, help="username of the member")
        parser.add_argument(
            "--organisation", required=True, help="the organisation's name or public UUID"
        )
        parser.add_argument(
            "--purpose", required=True, choices=[str(p) for p in Purpose], help="what it is for"
        )
        parser.add_argument("--name", required=True, help="what will use the token")
        parser.add_argument(
            "--days", type=int, default=90, help=f"days until it expires (1-{TOKEN_MAX_DAYS})"
        )
        parser.add_argument(
            "--role",
            choices=[str(r) for r in Role],
            help="which of the user's roles there, if they hold several",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = _organisation(options["organisation"])
        user = User.objects.filter(username=options["user"]).first()
        memberships = list(
            Membership.objects.filter(user=user, organisation=organisation).select_related(
                "user", "organisation"
            )
        )
        if options["role"]:
            memberships = [m for m in memberships if m.role == options["role"]]
        if not memberships:
            raise CommandError(
                f"{options['user']!r} is not a member of {organisation.name!r}"
                + (f" as {options['role']}" if options["role"] else "")
                + "."
            )
        if len(memberships) > 1:
            roles = ", ".join(m.role for m in memberships)
            raise CommandError(f"{options['user']!r} holds several roles there ({roles}): --role")
        role = Role(memberships[0].role)
        if Purpose(options["purpose"]) not in ROLE_ALLOWED_PURPOSES[role]:
            allowed = ", ".join(p for p in Purpose if p in ROLE_ALLOWED_PURPOSES[role])
            raise CommandError(
                f"A {role} may not use a token for {options['purpose']}; allowed: {allowed}."
            )
        try:
            token, secret = api_token_create(
                actor=Actor.operator("create-token"),
                membership=memberships[0],
                name=options["name"],
                purpose=options["purpose"],
                expires_in_days=options["days"],
            )
        except ApplicationError as exc:
            problems = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
            raise CommandError(problems or str(exc.message)) from exc
        expires = token.expires_at.date().isoformat() if token.expires_at else "never"
        self.stderr.write(
            f"Token {token.prefix}… for {user} at {organisation.name} "
            f"({memberships[0].role}), purpose {token.purpose}, expires {expires}. "
            "Store it now: it is not shown again."
        )
        self.stdout.write(secret)


def _organisation(value: str) -> Organisation:
    try:
        public_id = UUID(value)
    except ValueError:
        matches = list(Organisation.objects.filter(name=value)[:2])
    else:
        matches = list(Organisation.objects.filter(public_id=public_id))
    if not matches:
        raise CommandError(f"No organisation {value!r}.")
    if len(matches) > 1:
        raise CommandError(f"Several organisations are called {value!r}: give its UUID.")
    return matches[0]

"""`palermo reset-second-factor`: remove a user's authenticator and reopen enrolment.

For operators, after checking who is asking (the next person to sign in with the account's
password sets up the new authenticator). Enrolment stays open for PALERMO_TOTP_ENROLMENT_DAYS
(7 by default); the audit log records the reset under the operator's name.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from palermo.accounts.actors import Actor
from palermo.accounts.models import User
from palermo.accounts.services import second_factor_reset


class Command(BaseCommand):
    help = "Remove a user's authenticator app and let them set up a new one for a few days."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, help="username of the account")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        user = second_factor_reset(actor=Actor.operator("reset-second-factor"), user=user)
        deadline = user.second_factor_enrolment_until
        until = deadline.strftime("%Y-%m-%d %H:%M %Z") if deadline else "—"
        self.stdout.write(
            f"{user.username}'s authenticator is removed. They set up a new one at their next "
            f"sign-in, until {until}."
        )

"""`palermo channel`: register, list and deactivate SMS channels; replay the spool.

    palermo channel create --type twilio --address +15005550006 --country US --secret TOKEN
    palermo channel list
    palermo channel deactivate UUID
    palermo channel replay-spool

`create` prints only the new channel's UUID on standard output (``ID=$(palermo channel
create …)`` works) and the URLs to give the gateway on standard error.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.channels import services, spool
from palermo.channels.access import channel_for_actor
from palermo.channels.models import Channel, ChannelType
from palermo.channels.selectors import webhook_urls
from palermo.errors import ApplicationError


class Command(BaseCommand):
    help = "Manage SMS channels: create, list, deactivate, replay-spool."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="register a channel; prints its UUID")
        create.add_argument("--type", required=True, choices=[str(t) for t in ChannelType])
        create.add_argument("--address", required=True, help="number (E.164) or short code")
        create.add_argument("--country", required=True, help="ISO 3166 alpha-2 code")
        create.add_argument(
            "--secret",
            default="",
            help="Twilio auth token; URL secret (Africa's Talking) or HMAC key (generic); "
            "made for you when omitted for the last two",
        )
        create.add_argument("--language", default=settings.LANGUAGE_CODE, help="reply language")
        create.add_argument("--label", default="", help="campaign or number label")
        create.add_argument("--account", default="", help="Twilio SID or AT username")
        create.add_argument("--api-key", default="", help="Africa's Talking API key")
        create.add_argument("--outbound-url", default="", help="generic: where replies go")
        create.add_argument("--organisation", default="", help="owner's name or UUID")
        commands.add_parser("list", help="list the channels")
        deactivate = commands.add_parser("deactivate", help="stop a channel")
        deactivate.add_argument("channel_id", help="the channel's UUID")
        replay = commands.add_parser("replay-spool", help="ingest spooled webhooks now")
        replay.add_argument("--limit", type=int, default=None, help="at most this many files")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("command channel")
        action = options["action"]
        if action == "create":
            self._create(actor, options)
        elif action == "list":
            self._list()
        elif action == "deactivate":
            try:
                channel = channel_for_actor(actor, options["channel_id"])
            except ApplicationError as exc:
                raise CommandError(f"No channel {options['channel_id']!r}.") from exc
            services.channel_deactivate(actor=actor, channel=channel)
            self.stderr.write(f"Channel {channel.public_id} deactivated.")
        elif action == "replay-spool":
            report = spool.replay(limit=options["limit"])
            self.stdout.write(
                f"replayed {report.replayed} (already stored {report.duplicates}), "
                f"rejected {report.rejected}, remaining {report.remaining}"
            )
            if report.stopped_by:
                raise CommandError(f"Database unavailable, stopped: {report.stopped_by}")

    def _create(self, actor: Actor, options: dict[str, Any]) -> None:
        organisation = _organisation(options["organisation"]) if options["organisation"] else None
        data = {
            "type": options["type"],
            "address": options["address"],
            "country": options["country"],
            "secret": options["secret"],
            "language": options["language"],
            "label": options["label"],
            "account": options["account"],
            "api_key": options["api_key"],
            "outbound_url": options["outbound_url"],
        }
        try:
            channel = services.channel_create(actor=actor, data=data, organisation=organisation)
        except ApplicationError as exc:
            problems = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
            raise CommandError(problems or str(exc.message)) from exc
        receive, status = webhook_urls(channel)
        suffix = f"?secret={channel.secret}" if channel.type == ChannelType.AFRICASTALKING else ""
        self.stderr.write(
            f"{channel.get_type_display()} channel {channel.address} ({channel.country}).\n"
            f"  receive: {receive}{suffix}\n  status:  {status}{suffix}"
        )
        if not options["secret"]:
            self.stderr.write(f"  secret (shown once): {channel.secret}")
        self.stdout.write(str(channel.public_id))

    def _list(self) -> None:
        channels = Channel.objects.defer("secret", "api_key").select_related("organisation")
        for channel in channels:
            state = "active" if channel.active else "inactive"
            owner = channel.organisation.name if channel.organisation else "-"
            self.stdout.write(
                f"{channel.public_id}  {channel.type:<14} {channel.address:<16} "
                f"{channel.country}  {state:<8} {channel.label or '-'}  [{owner}]"
            )


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

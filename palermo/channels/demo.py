"""Demo data for the channels: the hotline's SMS numbers and a few weeks of text threads.

Deterministic for a seed. Messages go through the real ingestion path (`store_inbound`) and
are dispatched at once (automatic replies, the hand-off to intake), so conversations are
exactly what a gateway's webhooks would have made; the worker files them as hotline contacts.
Delivery reports then mark most replies delivered. Called by `palermo demo-data`.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.accounts.actors import Actor

from .dispatch import dispatch_inbound
from .gateways import InboundSms
from .ingestion import forget_cached_channels, store_inbound
from .models import Channel, Conversation, Direction, Message, MessageStatus
from .services import channel_create

# (organisation key, type, address, country, language, label)
DEMO_CHANNELS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("hotline", "generic", "527", "MD", "ro", "Short number 527"),
    ("hotline", "twilio", "+37322123456", "MD", "ro", "Hotline long number (leaflets)"),
    ("ng_ngo", "africastalking", "32811", "NG", "en", "Ireti SMS line (radio spot)"),
)

# (language, text); numbers, plates and places in them give intake's extraction work to do.
MESSAGES: dict[str, tuple[str, ...]] = {
    "ro": (
        "Bună ziua, fiica mea a plecat la muncă în Italia și nu mai răspunde de 5 zile.",
        "Mi-au luat pașaportul la fermă, lângă Bari. Nu pot pleca. Vă rog ajutor.",
        "Am văzut un microbuz cu numărul C 123 ABC care lasă fete la stația de camioane.",
        "Un anunț pe Facebook promite 2000 EUR pe lună în Germania, sunați la +373 69 555 123.",
        "Sunt în Chișinău, am nevoie de un adăpost pentru mine și copil.",
    ),
    "uk": (
        "Допоможіть, будь ласка, мене тримають у квартирі в Одесі, телефон забрали.",
        "Мій брат поїхав на роботу в Польщу, тепер просять гроші за повернення.",
        "Чи можна анонімно повідомити про підозрілу агенцію з працевлаштування?",
    ),
    "en": (
        "Please help, my sister was promised a nursing job abroad and now she is locked in.",
        "A recruiter at the bus station is taking IDs from young women, plate KA 07 BC.",
        "How do I check if an employment agency is licensed?",
    ),
    "es": ("Por favor, necesito ayuda, no tengo mi pasaporte y me obligan a trabajar.",),
    "pt": ("Preciso de ajuda, não me deixam sair do alojamento da obra.",),
}
FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "ro": ("Mulțumesc. Pot vorbi doar seara.", "Am o adresă nouă, vă scriu mâine."),
    "uk": ("Дякую. Я можу говорити лише ввечері.",),
    "en": ("Thank you. I can only talk at night.", "She just called me from a new number."),
    "es": ("Gracias, escribiré mañana.",),
    "pt": ("Obrigado, escrevo amanhã.",),
}
REGION_PREFIX = {"MD": ("+3736", 7), "NG": ("+23480", 8)}


def _number(rng: random.Random, country: str) -> str:
    prefix, digits = REGION_PREFIX.get(country, ("+3736", 7))
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))


def load_demo(context: Any) -> dict[str, int]:
    """Create the demo channels and their conversations (``context``: the loader's
    DemoContext); returns counts."""
    rng = random.Random(f"channels-{context.seed}")  # noqa: S311 - demo data, not secrets
    actor = Actor.system("demo-data")
    channels: list[Channel] = []
    for key, channel_type, address, country, language, label in DEMO_CHANNELS:
        organisation = context.organisations.get(key)
        if organisation is None:
            continue
        existing = Channel.objects.filter(
            organisation=organisation, type=channel_type, address=address
        ).first()
        channels.append(
            existing
            or channel_create(
                actor=actor,
                organisation=organisation,
                data={
                    "type": channel_type,
                    "address": address,
                    "country": country,
                    # Made by Palermo (Africa's Talking, generic); any token for the demo Twilio.
                    "secret": "" if channel_type != "twilio" else "demo-twilio-auth-token",
                    "language": language,
                    "label": label,
                    "account": "demo",
                },
            )
        )
    forget_cached_channels()
    threads = max(12, min(300, context.size // 8))
    now = timezone.now()
    stored = 0
    for index in range(threads):
        channel = channels[0] if index % 5 < 3 else channels[min(len(channels) - 1, index % 3)]
        languages = ["en"] if channel.country == "NG" else ["ro", "ro", "uk", "en", "es", "pt"]
        language = rng.choice(languages)
        sender = _number(rng, channel.country)
        started = now - datetime.timedelta(minutes=rng.randint(30, 60 * 24 * 30))
        texts = [rng.choice(MESSAGES[language])]
        texts += rng.sample(FOLLOW_UPS[language], k=rng.randint(0, len(FOLLOW_UPS[language])))
        for number, text in enumerate(texts):
            received = started + datetime.timedelta(minutes=7 * number)
            with transaction.atomic():
                result = store_inbound(
                    channel,
                    InboundSms(
                        provider_message_id=f"demo-{context.seed}-{index}-{number}",
                        sender=sender,
                        recipient=channel.address,
                        text=text,
                    ),
                    received,
                )
            if not result.duplicate:
                stored += 1
                # What the worker would do next, done now so the demo is complete at once.
                dispatch_inbound(result.message_id)
                Message.objects.filter(pk=result.message_id).update(handed_off=True)
    # The gateways' delivery reports: most replies delivered, a few failed.
    replies = Message.objects.filter(channel__in=channels, direction=Direction.OUTBOUND)
    for reply in replies.filter(status=MessageStatus.QUEUED):
        outcome = MessageStatus.DELIVERED if rng.random() < 0.9 else MessageStatus.FAILED
        Message.objects.filter(pk=reply.pk).update(
            status=outcome,
            provider_message_id=f"demo-out-{reply.pk}",
            error="" if outcome == MessageStatus.DELIVERED else "30003",
            status_changed_at=reply.received_at + datetime.timedelta(seconds=20),
        )
    return {
        "sms channels": len(channels),
        "sms conversations": Conversation.objects.filter(channel__in=channels).count(),
        "sms messages received": stored,
    }


def reset_demo() -> None:
    """Remove the demo channels' messages and conversations (intake resets its contacts
    first); the channels themselves stay, as the organisations do."""
    from palermo.demo.loader import demo_organisations

    channels = Channel.objects.filter(organisation__in=demo_organisations())
    Message.objects.filter(channel__in=channels).delete()
    Conversation.objects.filter(channel__in=channels).delete()

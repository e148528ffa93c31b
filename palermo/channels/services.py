"""Writes to the channel registry. Each is atomic and writes its audit event alongside."""

from __future__ import annotations

import secrets
from typing import Any

import phonenumbers
import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.audit.services import audit_record
from palermo.errors import invalid

from .access import require_channel_manager
from .ingestion import forget_cached_channels
from .models import Channel, ChannelType
from .urns import InvalidAddress, tel_urn, urn_path

MAX_SECRET_CHARS = 256


def generate_secret() -> str:
    """A fresh URL-safe secret (for Africa's Talking URLs and generic HMAC keys)."""
    return secrets.token_urlsafe(32)


def clean_channel_input(data: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised channel fields; ApplicationError with messages per field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    channel_type = str(data.get("type") or "").strip().lower()
    if channel_type not in ChannelType.values:
        errors["type"] = [_("Choose Twilio, Africa's Talking or generic.")]
    cleaned["type"] = channel_type

    country = str(data.get("country") or "").strip().upper()
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        errors["country"] = [_("Enter a two-letter ISO country code, such as UA or KE.")]
    cleaned["country"] = country

    address = str(data.get("address") or "").strip()
    try:
        cleaned["address"] = urn_path(tel_urn(address, country if "country" not in errors else ""))
    except InvalidAddress:
        errors["address"] = [_("Enter the number in international form or a short code.")]
    if len(address) > 32:
        errors["address"] = [_("Use at most %(max)d characters.") % {"max": 32}]

    secret = str(data.get("secret") or "").strip()
    if not secret and channel_type in (ChannelType.AFRICASTALKING, ChannelType.GENERIC):
        secret = generate_secret()
    if not secret:
        errors["secret"] = [_("Enter the Twilio account's auth token.")]
    elif len(secret) > MAX_SECRET_CHARS:
        errors["secret"] = [_("Use at most %(max)d characters.") % {"max": MAX_SECRET_CHARS}]
    cleaned["secret"] = secret

    language = str(data.get("language") or settings.LANGUAGE_CODE).strip().lower()
    if language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("Choose one of Palermo's languages.")]
    cleaned["language"] = language

    for name, limit in (("label", 100), ("account", 64)):
        value = str(data.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = [_("Use at most %(max)d characters.") % {"max": limit}]
        cleaned[name] = value
    cleaned["api_key"] = str(data.get("api_key") or "").strip() or None
    if cleaned["api_key"] and len(cleaned["api_key"]) > MAX_SECRET_CHARS:
        errors["api_key"] = [_("Use at most %(max)d characters.") % {"max": MAX_SECRET_CHARS}]

    outbound_url = str(data.get("outbound_url") or "").strip()
    if outbound_url:
        try:
            URLValidator(schemes=["https", "http"])(outbound_url)
        except ValidationError:
            errors["outbound_url"] = [_("Enter a full http(s) URL.")]
    cleaned["outbound_url"] = outbound_url
    if errors:
        raise invalid(errors)
    return cleaned


@transaction.atomic
def channel_create(
    *, actor: Actor, data: dict[str, Any], organisation: Organisation | None = None
) -> Channel:
    """Register a channel; audited as channel.create.

    A person's actor creates it for their own organisation; a system actor (a command) for
    the `organisation` given, or none.
    """
    require_channel_manager(actor)
    cleaned = clean_channel_input(data)
    owner = actor.organisation if actor.user is not None else organisation
    channel = Channel.objects.create(organisation=owner, **cleaned)
    audit_record(
        actor=actor,
        action="channel.create",
        object_type="channel",
        object_id=str(channel.public_id),
        details={"type": channel.type, "country": channel.country},
    )
    transaction.on_commit(forget_cached_channels)
    return channel


@transaction.atomic
def channel_deactivate(*, actor: Actor, channel: Channel) -> Channel:
    """Stop a channel: its webhooks answer 404 from then on (within the cache's few seconds
    in other server processes). Audited as channel.deactivate; doing it twice changes nothing."""
    require_channel_manager(actor)
    if not channel.active:
        return channel
    channel.active = False
    channel.deactivated_at = timezone.now()
    channel.save(update_fields=["active", "deactivated_at"])
    audit_record(
        actor=actor,
        action="channel.deactivate",
        object_type="channel",
        object_id=str(channel.public_id),
        details={"type": channel.type},
    )
    transaction.on_commit(forget_cached_channels)
    return channel


def display_number(address: str) -> str:
    """A channel number in international format for pages ('+380 44 123 4567')."""
    try:
        parsed = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return address
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

"""The public tip form's services: submit a tip, add to it later; no account, nothing revealed.

A tip becomes a contact (channel web form, category tip) of the organisation whose campaign
receives the tip form (or whose poster code the tipster's link carried). The tipster gets a
reference and a secret, shown once: only an Argon2 hash of the pair is stored. With both,
the tipster can add text and files later; a wrong pair gets the same answer whether or not
the reference exists. Nothing the tipster sees depends on other records.

If the database is unavailable the tip goes to the encrypted spool (tip_spool.py) and the
tipster gets the reference and secret all the same: the spool is durable before they are shown.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, invalid

from . import attachments, tip_spool
from .attachments import CheckedFile, RefusedFile
from .field_groups import reporter_indexes
from .models import (
    Attachment,
    CallerType,
    Campaign,
    Category,
    Contact,
    ContactChannel,
    IdentifierSource,
    Tip,
    TipFollowUp,
)
from .services import identifiers_record
from .statuses import Status
from .validation import Refused, clean_email, clean_language, clean_text, is_empty, phone_cleaner

DATABASE_ERRORS = (OperationalError, InterfaceError)
SYSTEM_ACTOR_LABEL = "tip-form"
# Crockford-like: no 0/O, 1/I/L or U, so a reference read over the phone is not misheard.
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
REFERENCE_LENGTH = 8
SECRET_GROUPS = 4
SECRET_GROUP_LENGTH = 5
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the reference is unknown, so a wrong reference costs the same time.
_DUMMY_HASH = _HASHER.hash("palermo-no-such-tip")
MAX_CODE_LENGTH = 40
DEFAULT_LIMITS = {"submit": (5, 3600), "follow_up": (10, 3600)}


class TipFormClosed(ApplicationError):
    """No organisation receives tips from the form (no campaign is set up for it)."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            _("The tip form is not open right now. Please call the hotline instead."),
            code="closed",
        )


class Throttled(ApplicationError):
    status = 429

    def __init__(self) -> None:
        super().__init__(
            _("Too many reports from this connection. Please wait an hour, or call the hotline."),
            code="throttled",
        )


def wrong_pair() -> ApplicationError:
    """The one answer for any reference and secret that do not open a tip."""
    return ApplicationError(
        _("That reference and secret do not match. Check both and try again."),
        code="invalid",
        fields={"secret": [_("Check the reference and the secret.")]},
    )


@dataclass(frozen=True)
class Receipt:
    reference: str  # as shown: T-ABCD-EFGH
    secret: str  # as shown: ABCDE-FGHJK-MNPQR-STVWX


# --- rate limits -------------------------------------------------------------------------------


def _client_key(bucket: str, address: str) -> str:
    # The address is hashed: the cache holds no addresses.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]
    return f"palermo:intake:{bucket}:{digest}"


def check_rate(bucket: str, address: str, *, count: bool = True) -> None:
    """A sliding window per client address: Throttled once the bucket's limit is reached."""
    limits = getattr(settings, "PALERMO_TIP_RATE_LIMITS", DEFAULT_LIMITS)
    limit, window = limits.get(bucket, DEFAULT_LIMITS[bucket])
    key = _client_key(bucket, address)
    now = time.time()
    recent = [t for t in cache.get(key, []) if t > now - window]
    if len(recent) >= limit:
        raise Throttled()
    if count:
        recent.append(now)
        cache.set(key, recent, timeout=int(window) + 1)


# --- references and secrets ------------------------------------------------------------------


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def compact(text: str) -> str:
    """What the tipster typed, as stored: upper case, letters and digits only."""
    return "".join(c for c in text.upper() if c.isalnum())


def shown_reference(reference: str) -> str:
    return f"T-{reference[:4]}-{reference[4:]}"


def shown_secret(secret: str) -> str:
    size = SECRET_GROUP_LENGTH
    return "-".join(secret[i : i + size] for i in range(0, len(secret), size))


def _pair(reference: str, secret: str) -> str:
    return f"{reference}:{secret}"


def new_receipt() -> tuple[str, str, str]:
    """A fresh (reference, secret, hash of the pair)."""
    reference = _random(REFERENCE_LENGTH)
    secret = _random(SECRET_GROUPS * SECRET_GROUP_LENGTH)
    return reference, secret, _HASHER.hash(_pair(reference, secret))


# --- cleaning --------------------------------------------------------------------------------

TIP_FIELDS = ("what", "where", "when", "name", "phone", "email", "language")


def clean_tip(data: dict[str, Any], *, default_region: str | None) -> dict[str, Any]:
    """The tip's fields, checked; `what` is the one required field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    cleaners = {
        "what": lambda v: clean_text(v, "narrative"),
        "where": lambda v: clean_text(v, "location_text"),
        "when": lambda v: clean_text(v, "occurred_text"),
        "name": lambda v: clean_text(v, "reporter_name"),
        "phone": lambda v: phone_cleaner(default_region)(v, "reporter_phone"),
        "email": lambda v: clean_email(v, "reporter_email"),
        "language": lambda v: clean_language(v, "language"),
    }
    for name, cleaner in cleaners.items():
        value = data.get(name)
        if is_empty(value):
            continue
        try:
            cleaned[name] = cleaner(value)
        except Refused as refused:
            errors[name] = [refused.message]
    if "what" not in cleaned and "what" not in errors:
        errors["what"] = [_("Tell us what happened: a few words are enough.")]
    if errors:
        raise invalid(errors)
    return cleaned


def _clean_code(code: Any) -> str:
    if not isinstance(code, str):
        return ""
    return "".join(c for c in code.strip()[:MAX_CODE_LENGTH] if c.isalnum() or c in "-_")


# --- storing ---------------------------------------------------------------------------------


def recipient(code: str = "") -> Campaign | None:
    """The campaign a tip is attributed to: the one whose code it carries, else the tip form's."""
    if code:
        wanted = code.upper()
        for campaign in Campaign.objects.filter(active=True).select_related("owner_organisation"):
            if any(str(c).strip().upper() == wanted for c in campaign.codes):
                return campaign
    return (
        Campaign.objects.filter(receives_web_tips=True, active=True)
        .select_related("owner_organisation")
        .first()
    )


def _attach(
    contact: Contact, files: list[CheckedFile], stored: list[str], follow_up: TipFollowUp | None
) -> None:
    for item in files:
        name = attachments.store(item.data)
        stored.append(name)
        Attachment.objects.create(
            contact=contact,
            follow_up=follow_up,
            storage_name=name,
            content_type=item.content_type,
            size=len(item.data),
            original_name=item.name or None,
        )


def _store(
    *,
    reference: str,
    secret_hash: str,
    cleaned: dict[str, Any],
    files: list[CheckedFile],
    code: str,
    received_at: Any,
) -> bool:
    """Write a tip as a contact; False when a tip with this reference is already stored."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            if Tip.objects.filter(reference=reference).exists():
                return False
            campaign = recipient(code)
            if campaign is None:
                raise TipFormClosed()
            organisation = campaign.owner_organisation
            region = organisation.country
            has_name = bool(cleaned.get("name") or cleaned.get("phone") or cleaned.get("email"))
            contact = Contact.objects.create(
                owner_organisation=organisation,
                channel=ContactChannel.WEB_FORM,
                campaign=campaign,
                caller_type=CallerType.UNKNOWN if has_name else CallerType.ANONYMOUS,
                category=Category.TIP,
                language=cleaned.get("language", ""),
                narrative=cleaned["what"],
                location_text=cleaned.get("where"),
                occurred_text=cleaned.get("when"),
                reporter_name=cleaned.get("name"),
                reporter_phone=cleaned.get("phone"),
                reporter_email=cleaned.get("email"),
                source_key=f"tip:{reference}",
                received_at=received_at,
                last_activity_at=received_at,
                **reporter_indexes(cleaned.get("phone"), cleaned.get("email"), region),
            )
            Tip.objects.create(contact=contact, reference=reference, secret_hash=secret_hash)
            _attach(contact, files, stored, None)
            identifiers_record(
                contact=contact,
                source=IdentifierSource.NARRATIVE,
                source_ref="",
                text=contact.narrative,
                region=region,
            )
            identifiers_record(
                contact=contact,
                source=IdentifierSource.LOCATION,
                source_ref="",
                text=contact.location_text,
                region=region,
            )
            audit_record(
                actor=Actor.system(SYSTEM_ACTOR_LABEL),
                action="contact.create",
                object_type="contact",
                object_id=str(contact.public_id),
                field_groups=sorted(_groups(cleaned)),
                details={
                    "channel": ContactChannel.WEB_FORM.value,
                    "category": Category.TIP.value,
                    "attachments": len(files),
                },
            )
    except BaseException:
        attachments.discard(stored)
        raise
    return True


def _groups(cleaned: dict[str, Any]) -> set[str]:
    groups = {"narrative"}
    if cleaned.get("where"):
        groups.add("location")
    if cleaned.get("name"):
        groups.add("identity")
    if cleaned.get("phone") or cleaned.get("email"):
        groups.add("contact")
    return groups


def tip_form_open() -> bool:
    """Whether some organisation receives tips (True when the database cannot say: the tip
    will be spooled and filed once it can)."""
    try:
        return Campaign.objects.filter(receives_web_tips=True, active=True).exists()
    except DATABASE_ERRORS:
        return True


def tip_submit(
    *, data: dict[str, Any], files: list[UploadedFile], address: str, code: Any = ""
) -> Receipt:
    """Take a tip from the public form; returns the reference and secret to show once.

    Bad input raises ApplicationError (400) per field and stores nothing; too many tips from
    one address raise Throttled (429); no receiving organisation raises TipFormClosed (503).
    """
    check_rate("submit", address, count=False)
    cleaned = clean_tip(data, default_region=None)
    try:
        checked = attachments.check_uploads(files)
    except RefusedFile as refused:
        raise invalid({"files": [refused.message]}) from None
    check_rate("submit", address)
    reference, secret, secret_hash = new_receipt()
    received_at = timezone.now()
    clean_code = _clean_code(code)
    try:
        _store(
            reference=reference,
            secret_hash=secret_hash,
            cleaned=cleaned,
            files=checked,
            code=clean_code,
            received_at=received_at,
        )
    except DATABASE_ERRORS:
        tip_spool.write(
            {
                "version": 1,
                "reference": reference,
                "secret_hash": secret_hash,
                "received_at": received_at.isoformat(),
                "code": clean_code,
                "fields": cleaned,
                "files": [
                    {
                        "name": f.name,
                        "content_type": f.content_type,
                        "data": base64.b64encode(f.data).decode("ascii"),
                    }
                    for f in checked
                ],
            }
        )
    return Receipt(shown_reference(reference), shown_secret(secret))


def store_spooled(record: dict[str, Any]) -> bool:
    """Store a tip read from the spool; False when it was stored already."""
    import datetime

    files = [
        CheckedFile(
            name=str(f["name"]),
            content_type=str(f["content_type"]),
            data=base64.b64decode(f["data"]),
        )
        for f in record["files"]
    ]
    return _store(
        reference=str(record["reference"]),
        secret_hash=str(record["secret_hash"]),
        cleaned=dict(record["fields"]),
        files=files,
        code=str(record.get("code", "")),
        received_at=datetime.datetime.fromisoformat(record["received_at"]),
    )


def _verified_tip(reference_text: Any, secret_text: Any) -> Tip:
    """The tip this pair opens; the same error, after the same work, for every wrong pair."""
    reference = compact(reference_text) if isinstance(reference_text, str) else ""
    secret = compact(secret_text) if isinstance(secret_text, str) else ""
    if reference.startswith("T") and len(reference) == REFERENCE_LENGTH + 1:
        reference = reference[1:]
    if len(reference) > 40 or len(secret) > 80:
        reference, secret = "", ""
    tip = (
        Tip.objects.select_related("contact").filter(reference=reference).first()
        if reference
        else None
    )
    stored_hash = tip.secret_hash if tip is not None else _DUMMY_HASH
    try:
        _HASHER.verify(stored_hash, _pair(reference, secret))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise wrong_pair() from None
    if tip is None:
        raise wrong_pair()
    return tip


def tip_follow_up(
    *,
    reference: Any,
    secret: Any,
    text: Any,
    files: list[UploadedFile],
    address: str,
) -> None:
    """Add text and files to a tip with its reference and secret.

    Every attempt counts against the address's limit, so guessing is slow; a wrong pair gets
    `wrong_pair()` whether or not the reference exists.
    """
    check_rate("follow_up", address)
    errors: dict[str, list[str]] = {}
    cleaned_text = None
    if not is_empty(text):
        try:
            cleaned_text = clean_text(text, "follow_up")
        except Refused as refused:
            errors["text"] = [refused.message]
    try:
        checked = attachments.check_uploads(files)
    except RefusedFile as refused:
        errors["files"] = [refused.message]
        checked = []
    if not errors and cleaned_text is None and not checked:
        errors["text"] = [_("Add some text or a file.")]
    if is_empty(reference):
        errors["reference"] = [_("Enter the reference you were given, like T-ABCD-EFGH.")]
    if is_empty(secret):
        errors["secret"] = [_("Enter the secret you were given.")]
    if errors:
        raise invalid(errors)
    tip = _verified_tip(reference, secret)
    stored: list[str] = []
    try:
        with transaction.atomic():
            contact = Contact.objects.select_for_update().get(pk=tip.contact_id)
            follow_up = TipFollowUp.objects.create(tip=tip, text=cleaned_text)
            _attach(contact, checked, stored, follow_up)
            identifiers_record(
                contact=contact,
                source=IdentifierSource.FOLLOW_UP,
                source_ref=str(follow_up.public_id),
                text=cleaned_text,
                region=contact.owner_organisation.country,
            )
            now = timezone.now()
            Tip.objects.filter(pk=tip.pk).update(last_follow_up_at=now)
            contact.last_activity_at = now
            update = ["last_activity_at", "updated_at"]
            reopened = contact.status == Status.CLOSED.value
            if reopened:
                contact.status = Status.NEW.value
                contact.closed_at = None
                contact.assigned_to = None
                update += ["status", "closed_at", "assigned_to"]
            contact.save(update_fields=update)
            audit_record(
                actor=Actor.system(SYSTEM_ACTOR_LABEL),
                action="contact.tip_follow_up",
                object_type="contact",
                object_id=str(contact.public_id),
                field_groups=["narrative"] if cleaned_text else [],
                details={"attachments": len(checked), "reopened": reopened},
            )
    except BaseException:
        attachments.discard(stored)
        raise


__all__ = [
    "DATABASE_ERRORS",
    "DatabaseError",
    "Receipt",
    "Throttled",
    "TipFormClosed",
    "tip_follow_up",
    "tip_submit",
]

"""The traveller's account: one-time codes, sign-up, PINs, sign-in, the optional TOTP step.

The public pages call these; trips, check-ins and contacts are `services.py`. Every write is
atomic and audited as the traveller (or, before an account exists, as the public sign-up).

No enumeration: `verification_start` does the same work whether or not the address has an
account (a row, a message, the same audit event), and what differs — the words of the message
— reaches only the owner of the phone or mailbox. `sign_in` refuses an unknown address, a
wrong PIN and a locked account with one message, after the same argon2 work.

TOTP lives on the Traveller itself (`totp_key`, `totp_last_counter`) and is checked with
django_otp.oath.TOTP: a traveller is not a django User, and giving them one would put members
of the public into the staff user table, its admin and its login page.
"""

from __future__ import annotations

import base64
import datetime
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.oath import TOTP

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FieldGroup, Purpose
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, invalid
from palermo.vault.fields import blind_index

from . import pins, services
from .models import (
    Notification,
    NotificationPurpose,
    RecipientKind,
    Traveller,
    TravellerVerification,
    Trip,
    TripStatus,
    VerificationChannel,
    VerificationPurpose,
)
from .validation import (
    NAME_MAX,
    Refused,
    clean_email,
    clean_language,
    clean_phone,
    clean_text,
    clean_time_zone,
)

CODE_DIGITS = 6
CODE_LIFETIME = datetime.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
# After the code, the person has this long to choose their PIN.
VERIFIED_LIFETIME = datetime.timedelta(minutes=30)
TOTP_ISSUER = "Palermo Safe Travel"
TOTP_KEY_BYTES = 20

SIGN_IN_REFUSED = gettext_lazy(
    "The phone number, email or PIN is not right, or the account is locked for a while after "
    "too many attempts. Check them and try again later."
)
CODE_REFUSED = gettext_lazy(
    "That code is not right or has expired. Check the latest message we sent, or start again "
    "to get a new code."
)
TOTP_REFUSED = gettext_lazy("That code is not right or has expired. Enter the current code.")
START_OVER = gettext_lazy("This step has expired. Please start again.")

PUBLIC = Actor.system("safe-travel public sign-up", purpose=Purpose.ASSISTANCE)

# Published lists of the most used PINs (six digits and more), beyond the patterns that
# pins.pin_problems already refuses (one repeated digit, straight runs).
COMMON_PINS = frozenset(
    """
    123123 121212 112233 123321 654321 666666 696969 131313 159753 147258 159357 258456
    789456 456789 987654 102030 101010 202020 100200 112358 141414 147852 852456 123654
    321321 232323 246810 135790 110110 520520 520131 123000 000123 111222 222333 123789
    753951 951753 147369 369258 142536 252525 212121 777777 888888 999999 555555 444444
    987456 456123 654123 789123 321654 159951 357159 123456789 1234567890 12345678 1234567
    """.split()
)


# --- addresses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A phone number (E.164) or an email address (lower case), ready to look up."""

    channel: str
    value: str

    @property
    def digest(self) -> str:
        if self.channel == VerificationChannel.EMAIL:
            return services.email_index(self.value)
        return services.phone_index(self.value)


def parse_address(text: Any) -> Address:
    """What a person typed in the 'phone number or email' box; Refused with a message."""
    if not isinstance(text, str) or not text.strip():
        raise Refused(_("Enter your phone number (with the country code) or your email."))
    if len(text) > 254:
        raise Refused(_("Use at most %(max)d characters.") % {"max": 254})
    if "@" in text:
        return Address(VerificationChannel.EMAIL, clean_email(text))
    return Address(VerificationChannel.SMS, clean_phone(text))


def traveller_for(address: Address) -> Traveller | None:
    field = "bidx_email" if address.channel == VerificationChannel.EMAIL else "bidx_phone"
    digest = address.digest
    return Traveller.objects.filter(**{field: digest}).first() if digest else None


# --- PIN rules -------------------------------------------------------------------------------


def _differing_positions(a: str, b: str) -> int:
    if len(a) != len(b):
        return max(len(a), len(b))
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


def _repeats_a_pattern(pin: str) -> bool:
    """'121212', '123123', '456456456': a short block repeated."""
    for size in (2, 3, 4):
        if len(pin) % size == 0 and len(pin) > size and pin == pin[:size] * (len(pin) // size):
            return True
    return False


def pin_rule_problems(pin: str, duress_pin: str) -> dict[str, list[str]]:
    """Everything wrong with a new PIN and duress PIN, per field (empty when both are fine).

    Beyond the format: no common PIN, and a duress PIN that differs from the PIN in at least
    two digits, so that one slip of the finger never raises a silent alert.
    """
    problems = pins.pin_problems(pin, duress_pin or None)
    if not duress_pin:
        problems.setdefault("duress_pin", [_("Choose a duress PIN.")])
    too_easy = _("This PIN is too easy to guess. Choose another.")
    if "pin" not in problems and (pin in COMMON_PINS or _repeats_a_pattern(pin)):
        problems["pin"] = [too_easy]
    if "duress_pin" not in problems and duress_pin:
        if duress_pin in COMMON_PINS or _repeats_a_pattern(duress_pin) or len(set(duress_pin)) == 1:
            problems["duress_pin"] = [too_easy]
        elif pins.PIN_PATTERN.match(pin or "") and _differing_positions(pin, duress_pin) < 2:
            problems["duress_pin"] = [
                _(
                    "Make the duress PIN differ from your PIN in at least two digits, so that "
                    "a typing slip never raises an alarm."
                )
            ]
    return problems


# --- one-time codes --------------------------------------------------------------------------


def _code_digest(verification: TravellerVerification, code: str) -> str:
    return blind_index("travel-code", f"{verification.public_id.hex}:{code}")


def _code_text(*, code: str, existing: bool, channel: str, language: str) -> tuple[str, str]:
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    with translation.override(language):
        subject = _("Your Palermo Safe Travel code")
        lines = [
            _("Palermo Safe Travel: your code is %(code)s. It works for %(minutes)d minutes.")
            % {"code": code, "minutes": minutes}
        ]
        if existing:
            if channel == VerificationChannel.EMAIL:
                known = _("You already have an account with this email address.")
            else:
                known = _("You already have an account with this phone number.")
            lines.append(known + " " + _("Enter the code only if you want to choose a new PIN."))
        lines.append(_("Never give this code to anyone, not even to someone from Palermo."))
        return subject, " ".join(lines)


@transaction.atomic
def verification_start(
    *, address: Address, language: str, at: datetime.datetime | None = None
) -> TravellerVerification:
    """Send a one-time code to the address; the same work whether it has an account or not.

    For a new address the code leads to a new account; for a registered one, to choosing a
    new PIN (the message says so: only the owner of the address reads it).
    """
    at = at or timezone.now()
    traveller = traveller_for(address)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    verification = TravellerVerification(
        traveller=traveller,
        purpose=VerificationPurpose.PIN_RESET if traveller else VerificationPurpose.SIGN_UP,
        channel=address.channel,
        address=address.value,
        bidx_address=address.digest,
        code_hash="-",
        expires_at=at + CODE_LIFETIME,
    )
    verification.code_hash = _code_digest(verification, code)
    verification.save()
    language = traveller.language if traveller is not None else language
    subject, body = _code_text(
        code=code, existing=traveller is not None, channel=address.channel, language=language
    )
    Notification.objects.create(
        trip=None,
        purpose=NotificationPurpose.MESSAGE,
        recipient_kind=RecipientKind.TRAVELLER,
        channel=address.channel,
        address=address.value,
        language=language,
        subject=subject,
        body=body,
        idempotency_key=_code_key(verification),
        due_at=at,
    )
    # One event for both cases, naming the verification only: the log does not say either
    # whether the address has an account.
    audit_record(
        actor=PUBLIC,
        action="traveller.code_sent",
        object_type="traveller_verification",
        object_id=str(verification.public_id),
        details={"channel": address.channel},
    )
    services._after_commit_deliver()
    return verification


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _verification(public_id: str) -> TravellerVerification | None:
    key = _uuid(public_id)
    if key is None:
        return None
    return (
        TravellerVerification.objects.select_for_update(of=("self",))
        .select_related("traveller")
        .filter(public_id=key)
        .first()
    )


@transaction.atomic
def verification_check(
    *, public_id: str, code: str, at: datetime.datetime | None = None
) -> TravellerVerification | None:
    """The verification, marked used, if `code` is its code; None otherwise (every failure
    alike: unknown, expired, used, too many attempts, wrong). Each try counts."""
    at = at or timezone.now()
    verification = _verification(public_id)
    if verification is None or verification.used_at is not None:
        return None
    if verification.expires_at <= at or verification.attempts >= CODE_MAX_ATTEMPTS:
        return None
    verification.attempts += 1
    candidate = code.strip() if isinstance(code, str) else ""
    right = (
        len(candidate) == CODE_DIGITS
        and candidate.isascii()
        and candidate.isdigit()
        and hmac.compare_digest(_code_digest(verification, candidate), verification.code_hash)
    )
    if right:
        verification.used_at = at
        # The message did its work: its copy (with the code and the address) goes.
        Notification.objects.filter(idempotency_key=_code_key(verification)).delete()
    verification.save(update_fields=["attempts", "used_at"])
    return verification if right else None


def _code_key(verification: TravellerVerification) -> str:
    return f"code:{verification.public_id.hex}"


def forget_codes(*, traveller: Traveller) -> int:
    """Delete the copies of the code messages sent for this traveller's account (before the
    account itself is deleted). Returns how many went."""
    keys = [_code_key(v) for v in TravellerVerification.objects.filter(traveller=traveller)]
    deleted, _detail = Notification.objects.filter(idempotency_key__in=keys).delete()
    return deleted


def verified(public_id: str, at: datetime.datetime | None = None) -> TravellerVerification | None:
    """A verification whose code was entered recently enough to choose a PIN now."""
    at = at or timezone.now()
    key = _uuid(public_id)
    if key is None:
        return None
    verification = (
        TravellerVerification.objects.select_related("traveller").filter(public_id=key).first()
    )
    if verification is None or verification.used_at is None:
        return None
    if verification.used_at + VERIFIED_LIFETIME <= at:
        return None
    return verification


# --- creating the account and choosing PINs --------------------------------------------------


def _clean_profile(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, cleaner in (
        ("display_name", lambda v: clean_text(v, NAME_MAX) or None),
        ("language", clean_language),
        ("time_zone", clean_time_zone),
    ):
        try:
            cleaned[name] = cleaner(data.get(name))
        except Refused as exc:
            errors[name] = [exc.message]
    for name in ("usual_activity_opt_in", "welfare_consent"):
        cleaned[name] = data.get(name) is True or data.get(name) in ("on", "true", "1", "yes")
    return cleaned, errors


def _pins_of(data: dict[str, Any]) -> tuple[str, str, dict[str, list[str]]]:
    pin = data.get("pin") if isinstance(data.get("pin"), str) else ""
    duress = data.get("duress_pin") if isinstance(data.get("duress_pin"), str) else ""
    pin, duress = (pin or "").strip(), (duress or "").strip()
    errors = pin_rule_problems(pin, duress)
    if "pin" not in errors and (data.get("pin_again") or "").strip() != pin:
        errors["pin_again"] = [_("The two PINs you typed are not the same.")]
    if "duress_pin" not in errors and (data.get("duress_pin_again") or "").strip() != duress:
        errors["duress_pin_again"] = [_("The two duress PINs you typed are not the same.")]
    return pin, duress, errors


@transaction.atomic
def traveller_create(
    *,
    verification: TravellerVerification,
    data: dict[str, Any],
    at: datetime.datetime | None = None,
) -> Traveller:
    """Open the account a verified sign-up code was for: profile, PIN and duress PIN."""
    at = at or timezone.now()
    if verification.traveller_id is not None or verification.used_at is None:
        raise ApplicationError(START_OVER, code="start_over")
    cleaned, errors = _clean_profile(data)
    pin, duress, pin_errors = _pins_of(data)
    errors.update(pin_errors)
    if errors:
        raise invalid(errors)
    address = Address(verification.channel, verification.address or "")
    traveller = Traveller(
        pin_hash=pins.hash_pin(pin), duress_pin_hash=pins.hash_pin(duress), **cleaned
    )
    if address.channel == VerificationChannel.EMAIL:
        traveller.email, traveller.bidx_email, traveller.email_verified_at = (
            address.value,
            address.digest,
            at,
        )
    else:
        traveller.phone, traveller.bidx_phone, traveller.phone_verified_at = (
            address.value,
            address.digest,
            at,
        )
    try:
        with transaction.atomic():
            traveller.save()
    except IntegrityError as exc:  # the address was registered meanwhile (another tab)
        raise ApplicationError(START_OVER, code="start_over") from exc
    TravellerVerification.objects.filter(pk=verification.pk).update(traveller=traveller)
    audit_record(
        actor=services.traveller_actor(traveller),
        action="traveller.create",
        object_type="traveller",
        object_id=str(traveller.public_id),
        field_groups=[str(FieldGroup.IDENTITY), str(FieldGroup.CONTACT)],
        details={"channel": address.channel},
    )
    return traveller


@transaction.atomic
def traveller_create_by_sms(
    *,
    phone: str,
    pin: str,
    duress_pin: str,
    language: str,
    time_zone: str,
    at: datetime.datetime | None = None,
) -> Traveller:
    """Open an account for the number an SMS sign-up came from (sms_conversation.py): the
    number counts as verified because it sent the messages and echoed the code we sent it.
    ApplicationError(START_OVER) if the number was registered meanwhile."""
    at = at or timezone.now()
    errors = pin_rule_problems(pin, duress_pin)
    if errors:
        raise invalid(errors)
    address = Address(VerificationChannel.SMS, clean_phone(phone))
    traveller = Traveller(
        phone=address.value,
        bidx_phone=address.digest,
        phone_verified_at=at,
        pin_hash=pins.hash_pin(pin),
        duress_pin_hash=pins.hash_pin(duress_pin),
        language=clean_language(language),
        time_zone=clean_time_zone(time_zone),
    )
    try:
        with transaction.atomic():
            traveller.save()
    except IntegrityError as exc:
        raise ApplicationError(START_OVER, code="start_over") from exc
    audit_record(
        actor=services.traveller_actor(traveller),
        action="traveller.create",
        object_type="traveller",
        object_id=str(traveller.public_id),
        field_groups=[str(FieldGroup.CONTACT)],
        details={"channel": "sms_conversation"},
    )
    return traveller


@transaction.atomic
def traveller_pins_reset(
    *,
    verification: TravellerVerification,
    data: dict[str, Any],
    at: datetime.datetime | None = None,
) -> Traveller:
    """Choose new PINs after proving the address with a code (and the TOTP code, if on)."""
    at = at or timezone.now()
    traveller = verification.traveller
    if traveller is None or verification.used_at is None:
        raise ApplicationError(START_OVER, code="start_over")
    pin, duress, errors = _pins_of(data)
    if traveller.has_totp and not errors:
        if not totp_verify(traveller=traveller, code=str(data.get("totp_code") or ""), at=at):
            errors["totp_code"] = [str(TOTP_REFUSED)]
    if errors:
        raise invalid(errors)
    Traveller.objects.filter(pk=traveller.pk).update(
        pin_hash=pins.hash_pin(pin),
        duress_pin_hash=pins.hash_pin(duress),
        failed_pin_count=0,
        locked_until=None,
    )
    TravellerVerification.objects.filter(traveller=traveller, used_at__isnull=True).update(
        used_at=at
    )
    audit_record(
        actor=services.traveller_actor(traveller),
        action="traveller.pin_reset",
        object_type="traveller",
        object_id=str(traveller.public_id),
        details={"channel": verification.channel},
    )
    traveller.refresh_from_db()
    return traveller


@transaction.atomic
def traveller_pins_change(
    *, traveller: Traveller, data: dict[str, Any], at: datetime.datetime | None = None
) -> str:
    """Choose new PINs, signed in, with the current PIN. Returns the kind of PIN given (a
    duress PIN changes them too, and raises the silent alert)."""
    at = at or timezone.now()
    kind = pin_kind_of(traveller=traveller, pin=data.get("current_pin"), at=at)
    if kind is None:
        raise invalid({"current_pin": [str(SIGN_IN_REFUSED)]})
    pin, duress, errors = _pins_of(data)
    if errors:
        raise invalid(errors)
    Traveller.objects.filter(pk=traveller.pk).update(
        pin_hash=pins.hash_pin(pin), duress_pin_hash=pins.hash_pin(duress)
    )
    audit_record(
        actor=services.traveller_actor(traveller),
        action="traveller.pin_change",
        object_type="traveller",
        object_id=str(traveller.public_id),
    )
    if kind == services.DURESS:
        duress_signal(traveller=traveller, at=at)
    return kind


def pin_kind_of(
    *, traveller: Traveller, pin: Any, at: datetime.datetime | None = None
) -> str | None:
    """'normal' or 'duress' for a right PIN; None for a wrong one or a locked account (the
    wrong one counts towards the lockout)."""
    at = at or timezone.now()
    result = pins.pin_check(traveller=traveller, pin=pin if isinstance(pin, str) else "", at=at)
    if result == pins.PinResult.NORMAL:
        return services.NORMAL
    if result == pins.PinResult.DURESS:
        return services.DURESS
    return None


# --- signing in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    traveller: Traveller
    pin_kind: str


def _spend_hashing_time(pin: str) -> None:
    """An argon2 check as long as a real one (two, like pin_check), so timing says nothing."""
    if not pins.PIN_PATTERN.match(pin or ""):
        return  # pin_check does no hashing for a malformed PIN either
    for _round in range(2):
        pins._matches(pins._ABSENT, pin)


def sign_in(*, address: Address, pin: str, at: datetime.datetime | None = None) -> SignedIn:
    """The traveller whose PIN this is. One refusal for every failure (ApplicationError)."""
    at = at or timezone.now()
    traveller = traveller_for(address)
    if traveller is None:
        _spend_hashing_time(pin)
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
    kind = pin_kind_of(traveller=traveller, pin=pin, at=at)
    if kind is None:
        with transaction.atomic():
            audit_record(
                actor=services.traveller_actor(traveller),
                action="traveller.sign_in_failure",
                object_type="traveller",
                object_id=str(traveller.public_id),
                details={"locked": pins.is_locked(traveller, at)},
            )
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
    return SignedIn(traveller, kind)


@transaction.atomic
def signed_in(
    *, traveller: Traveller, pin_kind: str, ip: str, at: datetime.datetime | None = None
) -> None:
    """After the PIN (and TOTP): the access point, usual activity, and under duress the
    silent alert — with nothing the traveller sees differing between the two PINs."""
    at = at or timezone.now()
    if pin_kind == services.DURESS:
        if ip:
            services.access_point_record(traveller=traveller, ip=ip, at=at)
        duress_signal(traveller=traveller, at=at, as_activity=True, ip=ip)
    else:
        services.activity_record(traveller=traveller, at=at, ip=ip or None)
    audit_record(
        actor=services.traveller_actor(traveller),
        action="traveller.signed_in",
        object_type="traveller",
        object_id=str(traveller.public_id),
    )


@transaction.atomic
def duress_signal(
    *,
    traveller: Traveller,
    at: datetime.datetime | None = None,
    as_activity: bool = False,
    ip: str | None = None,
) -> None:
    """The duress PIN was used outside a check-in (signing in, export, deletion, new PINs):
    a silent alert on every trip that is running, changing nothing the traveller sees.

    With `as_activity` (signing in) and the traveller's opt-in, an armed trip gets the check-in
    that usual activity would have made — as a duress check-in, so that no all clear goes out.
    """
    at = at or timezone.now()
    trips = Trip.objects.filter(
        traveller=traveller, status__in=[TripStatus.ARMED, TripStatus.PAUSED]
    ).order_by("id")
    for trip in trips:
        if as_activity and traveller.usual_activity_opt_in and trip.status == TripStatus.ARMED:
            services.checkin_record(
                trip=trip, channel="activity", pin_kind=services.DURESS, at=at, ip=ip or None
            )
        else:
            locked = Trip.objects.select_for_update().select_related("traveller").get(pk=trip.pk)
            # services raises this alert itself for duress check-ins and status changes; the
            # same alert for the other uses of the duress PIN (asked of T1 as a public service).
            services._silent_alert(locked, at)


@transaction.atomic
def account_delete(
    *, traveller: Traveller, pin_kind: str, at: datetime.datetime | None = None
) -> None:
    """Delete the account and everything about it, after its PIN (the page and the SMS DELETE).

    Under the duress PIN the running trips are ended as duress (silent alert, no all clear)
    before the account goes; the hotline keeps its alert. With the normal PIN they end
    normally (contacts already alerted get the all clear)."""
    at = at or timezone.now()
    if pin_kind == services.DURESS:
        for trip in Trip.objects.filter(
            traveller=traveller, status__in=[TripStatus.ARMED, TripStatus.PAUSED]
        ):
            services.trip_end(traveller=traveller, trip=trip, pin_kind=services.DURESS, at=at)
    forget_codes(traveller=traveller)
    services.traveller_delete(traveller=traveller, at=at)


# --- TOTP ------------------------------------------------------------------------------------


def _totp(key_hex: str) -> TOTP:
    return TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)


def totp_secret_b32(traveller: Traveller) -> str:
    return base64.b32encode(bytes.fromhex(traveller.totp_key or "")).decode("ascii").rstrip("=")


def totp_config_url(traveller: Traveller) -> str:
    """otpauth:// URL for the QR code; the label is the account's reference, never a number."""
    label = quote(f"{TOTP_ISSUER}:{traveller.reference}")
    return (
        f"otpauth://totp/{label}?secret={totp_secret_b32(traveller)}"
        f"&issuer={quote(TOTP_ISSUER)}&algorithm=SHA1&digits=6&period=30"
    )


@transaction.atomic
def totp_begin(*, traveller: Traveller) -> Traveller:
    """A new (unconfirmed) key for the authenticator app, unless one is waiting already."""
    row = Traveller.objects.select_for_update().get(pk=traveller.pk)
    if row.totp_confirmed_at is None and row.totp_key:
        return row
    if row.totp_confirmed_at is not None:
        return row
    row.totp_key = secrets.token_bytes(TOTP_KEY_BYTES).hex()
    row.totp_last_counter = None
    row.save(update_fields=["totp_key", "totp_last_counter"])
    return row


def _matching_counter(traveller: Traveller, code: str, at: datetime.datetime) -> int | None:
    if not traveller.totp_key:
        return None
    text = code.strip().replace(" ", "") if isinstance(code, str) else ""
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        return None
    totp = _totp(traveller.totp_key)
    totp.time = at.timestamp()
    floor = (traveller.totp_last_counter + 1) if traveller.totp_last_counter is not None else 0
    if totp.verify(int(text), tolerance=1, min_t=floor):
        return int(totp.t())
    return None


@transaction.atomic
def totp_confirm(*, traveller: Traveller, code: str, at: datetime.datetime | None = None) -> bool:
    """Turn TOTP on once the app shows a right code."""
    at = at or timezone.now()
    row = Traveller.objects.select_for_update().get(pk=traveller.pk)
    if row.totp_confirmed_at is not None:
        return True
    counter = _matching_counter(row, code, at)
    if counter is None:
        return False
    row.totp_confirmed_at = at
    row.totp_last_counter = counter
    row.save(update_fields=["totp_confirmed_at", "totp_last_counter"])
    audit_record(
        actor=services.traveller_actor(row),
        action="traveller.totp_on",
        object_type="traveller",
        object_id=str(row.public_id),
    )
    traveller.totp_confirmed_at, traveller.totp_last_counter = at, counter
    return True


@transaction.atomic
def totp_verify(*, traveller: Traveller, code: str, at: datetime.datetime | None = None) -> bool:
    """Whether `code` is the app's current code (each code once); a wrong one counts towards
    the same lockout as wrong PINs, and a locked account refuses every code."""
    at = at or timezone.now()
    row = Traveller.objects.select_for_update().get(pk=traveller.pk)
    if not row.has_totp or pins.is_locked(row, at):
        return False
    counter = _matching_counter(row, code, at)
    if counter is None:
        failures = row.failed_pin_count + 1
        locked_until = None
        if failures >= settings.PALERMO_TRAVEL_PIN_MAX_FAILURES:
            locked_until = at + datetime.timedelta(
                minutes=settings.PALERMO_TRAVEL_PIN_LOCKOUT_MINUTES
            )
            failures = 0
        Traveller.objects.filter(pk=row.pk).update(
            failed_pin_count=failures, locked_until=locked_until
        )
        return False
    Traveller.objects.filter(pk=row.pk).update(totp_last_counter=counter, failed_pin_count=0)
    traveller.totp_last_counter = counter
    return True


@transaction.atomic
def totp_disable(*, traveller: Traveller, pin: str, at: datetime.datetime | None = None) -> bool:
    """Turn TOTP off, with the PIN (a duress PIN does it too, and raises the silent alert)."""
    at = at or timezone.now()
    kind = pin_kind_of(traveller=traveller, pin=pin, at=at)
    if kind is None:
        return False
    Traveller.objects.filter(pk=traveller.pk).update(
        totp_key=None, totp_confirmed_at=None, totp_last_counter=None
    )
    audit_record(
        actor=services.traveller_actor(traveller),
        action="traveller.totp_off",
        object_type="traveller",
        object_id=str(traveller.public_id),
    )
    if kind == services.DURESS:
        duress_signal(traveller=traveller, at=at)
    return True

"""Traveller PINs: argon2 hashes, the duress PIN beside the normal one, and the lockout.

`pin_check` tells a normal PIN from the duress PIN and counts wrong ones; callers must treat
NORMAL and DURESS exactly alike in everything the traveller sees (see services.checkin_record).
"""

from __future__ import annotations

import datetime
import re
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Traveller

PIN_PATTERN = re.compile(r"^[0-9]{6,12}$")
# Both hashes are always checked, and a stand-in when one is missing, so the time taken
# does not tell which PIN (or whether a duress PIN) exists.
_ABSENT = (
    "$argon2id$v=19$m=19456,t=2,p=1$gEsjhmuexVnGNCNLvF7pSg$"
    "b6lVT3hcuJVWyY9at4PFracRj78QTrQrf0fLxGc5FwM"
)


class PinResult(StrEnum):
    NORMAL = "normal"
    DURESS = "duress"
    WRONG = "wrong"
    LOCKED = "locked"


@cache
def _hasher() -> PasswordHasher:
    # OWASP's argon2id minimum: 19 MiB, 2 iterations. A PIN is short; the lockout, not the
    # hash, is what stops guessing online. The hash protects PINs if the database leaks.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_pin(pin: str) -> str:
    return _hasher().hash(pin)


def _matches(hashed: str, pin: str) -> bool:
    try:
        return _hasher().verify(hashed or _ABSENT, pin) and bool(hashed)
    except (VerificationError, InvalidHashError):
        return False


def spend_hashing_time(pin: str) -> None:
    """Take as long as `pin_check` would for this PIN (two argon2 checks), changing nothing:
    for refusals that must not be told apart by their timing (an unknown account)."""
    if not PIN_PATTERN.match(pin or ""):
        return  # pin_check hashes nothing for a malformed PIN either
    for _round in range(2):
        _matches(_ABSENT, pin)


def pin_problems(pin: str, duress_pin: str | None = None) -> dict[str, list[str]]:
    """Messages per field for PINs that are not acceptable (empty when both are fine)."""
    problems: dict[str, list[str]] = {}
    if not PIN_PATTERN.match(pin or ""):
        problems["pin"] = [_("Use 6 to 12 digits.")]
    elif len(set(pin)) == 1 or pin in "01234567890123" or pin in "98765432109876":
        problems["pin"] = [_("This PIN is too easy to guess. Choose another.")]
    if duress_pin:
        if not PIN_PATTERN.match(duress_pin):
            problems["duress_pin"] = [_("Use 6 to 12 digits.")]
        elif duress_pin == pin:
            problems["duress_pin"] = [_("The duress PIN must differ from your PIN.")]
    return problems


def is_locked(traveller: Traveller, at: datetime.datetime) -> bool:
    return traveller.locked_until is not None and traveller.locked_until > at


@transaction.atomic
def pin_check(*, traveller: Traveller, pin: str, at: datetime.datetime) -> PinResult:
    """Which PIN this is. A wrong one counts; too many in a row lock the account for a while.

    While locked, even the right PIN answers LOCKED. A right PIN resets the count.
    """
    row = Traveller.objects.select_for_update().get(pk=traveller.pk)
    if is_locked(row, at):
        return PinResult.LOCKED
    candidate = pin if PIN_PATTERN.match(pin or "") else ""
    normal = _matches(row.pin_hash, candidate) if candidate else False
    duress = _matches(row.duress_pin_hash, candidate) if candidate else False
    if normal or duress:
        if row.failed_pin_count or row.locked_until:
            Traveller.objects.filter(pk=row.pk).update(failed_pin_count=0, locked_until=None)
        traveller.failed_pin_count, traveller.locked_until = 0, None
        return PinResult.DURESS if duress and not normal else PinResult.NORMAL
    failures = row.failed_pin_count + 1
    locked_until = None
    if failures >= settings.PALERMO_TRAVEL_PIN_MAX_FAILURES:
        locked_until = at + datetime.timedelta(minutes=settings.PALERMO_TRAVEL_PIN_LOCKOUT_MINUTES)
        failures = 0
    Traveller.objects.filter(pk=row.pk).update(failed_pin_count=failures, locked_until=locked_until)
    traveller.failed_pin_count, traveller.locked_until = failures, locked_until
    return PinResult.LOCKED if locked_until is not None else PinResult.WRONG

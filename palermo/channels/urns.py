"""Sender addresses as URNs (pure: no Django import).

A phone number becomes ``tel:+E164`` (parsed with the channel's country as the default region),
so that one sender writing as ``0671234567`` and ``+380 67 123 4567`` is one conversation.
Short codes and alphanumeric sender ids that are not phone numbers keep their characters:
``tel:527`` or ``tel:MPESA``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

TEL = "tel:"
_SHORT = re.compile(r"^[0-9A-Za-z]{2,15}$")
_NUMERIC = re.compile(r"^\+?[\d\s\-().]+$")


class InvalidAddress(ValueError):
    """The text is neither a phone number nor a short code."""


@lru_cache(maxsize=8192)  # senders write again and again; parsing a number is not free
def tel_urn(
    address: str, default_region: str | None = None, *, allow_sender_id: bool = True
) -> str:
    """The URN of a phone number, short code or (unless refused) alphanumeric sender id;
    InvalidAddress if it is none of those."""
    text = address.strip()
    if text.lower().startswith(TEL):
        text = text[len(TEL) :]
    if not text:
        raise InvalidAddress("empty address")
    parsed = None
    if _NUMERIC.match(text):  # not letters: the parser would read them as a keypad's digits
        try:
            parsed = phonenumbers.parse(text, (default_region or "").upper() or None)
        except phonenumbers.NumberParseException:
            parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        return TEL + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    compact = re.sub(r"[\s\-().]", "", text)
    if compact.isdigit() and 2 <= len(compact) <= 15:
        return TEL + compact  # a short code
    if allow_sender_id and _SHORT.match(text):
        return TEL + text
    if compact.startswith("+") and compact[1:].isdigit() and 6 <= len(compact) <= 16:
        return TEL + compact
    raise InvalidAddress("not a phone number")


def urn_path(urn: str) -> str:
    """The address inside a URN: 'tel:+380671234567' → '+380671234567'."""
    return urn[len(TEL) :] if urn.startswith(TEL) else urn

"""Keyed blind indexes for exact search on encrypted values (pure: no Django import).

HMAC-SHA256 under a key kept apart from the encryption keys, with a domain label per kind
of value (so equal strings in different columns give unrelated digests), truncated to 32 hex
characters: enough to avoid collisions in practice, short enough to index cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import phonenumbers
from anyascii import anyascii

DIGEST_HEX_CHARS = 32
_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")


def normalise_name(value: str) -> str:
    """Case-, accent- and script-insensitive form: 'Олена' and 'olena' give the same."""
    text = anyascii(unicodedata.normalize("NFKC", value)).lower()
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def normalise_identifier(value: str) -> str:
    """Document numbers: letters and digits only, upper case."""
    return re.sub(r"[^0-9A-Za-z]", "", anyascii(value)).upper()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str, default_region: str | None = None) -> str:
    """E.164 when the number parses, else its digits: '+380 67 123 45 67' → '+380671234567'."""
    try:
        parsed = phonenumbers.parse(value, default_region)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", value)
    return ("+" + digits) if value.strip().startswith("+") else digits


def digest(index_key: bytes, domain: str, normalised: str) -> str:
    if not normalised:
        return ""
    mac = hmac.new(
        index_key, domain.encode("utf-8") + b"\x00" + normalised.encode("utf-8"), hashlib.sha256
    )
    return mac.hexdigest()[:DIGEST_HEX_CHARS]

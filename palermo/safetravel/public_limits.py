"""Rate limits of the public traveller pages, counted in Django's cache.

Fixed windows per scope and key: per client address (anyone hammering the pages) and per
identifier (anyone trying one phone number or email from many addresses). Keys are hashed
before they reach the cache, so no phone number, email or IP address is stored in it.

The cache is per process unless the deployment configures a shared one (CACHES): each process
then enforces its own limits, which still bounds guessing to a small multiple.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache

from palermo.vault.blind_index import normalise_email, normalise_phone
from palermo.vault.fields import blind_index


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window_seconds: int


# Per client address: generous enough for a family sharing one phone or a hostel's Wi-Fi.
START_PER_IP = Limit("start-ip", 10, 3600)
SIGN_IN_PER_IP = Limit("sign-in-ip", 30, 3600)
CODE_PER_IP = Limit("code-ip", 30, 3600)
CONFIRM_PER_IP = Limit("confirm-ip", 60, 3600)
# Per identifier: codes cost money and annoy the owner of the number; PIN guesses are also
# bounded by the account lockout.
START_PER_IDENTIFIER = Limit("start-id", 5, 3600)
SIGN_IN_PER_IDENTIFIER = Limit("sign-in-id", 20, 3600)


def identifier_key(identifier: str) -> str:
    """A keyed digest of a phone number or email, as the blind index would store it."""
    text = identifier.strip()
    if "@" in text:
        return blind_index("travel-limit-email", normalise_email(text))
    return blind_index("travel-limit-phone", normalise_phone(text)) or "empty"


def _cache_key(limit: Limit, key: str, now: float) -> str:
    window = int(now // limit.window_seconds)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"palermo:travel:rate:{limit.scope}:{window}:{digest}"


def allow(limit: Limit, key: str, *, now: float | None = None) -> bool:
    """Count one attempt under `limit` for `key`; False once the window's budget is spent."""
    now = time.time() if now is None else now
    cache_key = _cache_key(limit, key, now)
    if cache.add(cache_key, 1, timeout=limit.window_seconds + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=limit.window_seconds + 1)
        return True
    return count <= limit.limit


def allow_all(*checks: tuple[Limit, str]) -> bool:
    """Count the attempt under every limit (all of them, so each window sees it)."""
    results = [allow(limit, key) for limit, key in checks]
    return all(results)

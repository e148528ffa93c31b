"""Keeping one client from flooding an endpoint: in-memory token buckets, and the address a
request came from. Shared by the endpoints that machines and the public post to (SMS
gateways' webhooks, partner deployments' inbox, the public traveller pages).

The buckets are per process: they cost nothing on the hot path and never touch the database,
which may be the very thing that is down; with N server processes a client gets up to N times
the budget, which still bounds a flood.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

MAX_KEYS = 50_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`rate` tokens per second up to `burst`, per key; ``take`` spends one if there is one."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, *, rate: float, burst: float, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_KEYS:
                    self._buckets.clear()  # crude, but bounded: a flood of keys resets all
                bucket = self._buckets[key] = _Bucket(tokens=burst, updated=now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def peek(self, key: str, *, rate: float, burst: float, now: float | None = None) -> bool:
        """Whether ``take`` would succeed, without spending."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return True
            return min(burst, bucket.tokens + (now - bucket.updated) * rate) >= 1

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The address the request came from: REMOTE_ADDR, or — when that is one of the
    deployment's reverse proxies (PALERMO_TRUSTED_PROXIES) — the right-most address in
    X-Forwarded-For that is not a proxy of ours (what a client writes further left is
    not to be believed). '' when there is no valid address."""
    remote = _address(str(request.META.get("REMOTE_ADDR", "") or ""))
    trusted = set(getattr(settings, "PALERMO_TRUSTED_PROXIES", ()) or ())
    if not remote or remote not in trusted:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")[:1000]
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(hop)
        if not address:
            return remote
        if address not in trusted:
            return address
    return remote

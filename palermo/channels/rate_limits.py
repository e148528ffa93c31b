"""Token buckets that keep one client from flooding a webhook (per server process).

Two limits: accepted requests per channel and client address (generous: gateways batch), and
refused ones (bad signature, unknown channel) per client address (strict: that is guessing).
In memory, per process, so they cost nothing on the hot path and never touch the database,
which may be the very thing that is down.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

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


accepted = TokenBuckets()
refused = TokenBuckets()

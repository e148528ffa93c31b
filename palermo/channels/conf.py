"""The channels' settings, with their defaults, read from ``settings.PALERMO_CHANNELS``.

Keys (all optional): PUBLIC_URL (the scheme and host the gateways call, when Palermo is behind
a proxy: signatures are checked against it), MAX_BODY_BYTES, RATE_PER_SECOND and RATE_BURST
(accepted webhooks per channel and client address, per server process), BAD_SIGNATURES_PER_MINUTE
(per client address), SPOOL_DIR, SPOOL_MAX_FILES, CHANNEL_CACHE_SECONDS, AUTO_REPLY_HOURS,
BENCH_BARE_ENDPOINT, PREPARED_STATEMENTS (PostgreSQL: prepare the ingestion statement once per
connection; on by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class ChannelSettings:
    public_url: str
    max_body_bytes: int
    rate_per_second: float
    rate_burst: float
    bad_signatures_per_minute: int
    spool_dir: Path
    spool_max_files: int
    channel_cache_seconds: float
    auto_reply_hours: float
    bench_bare_endpoint: bool
    prepared_statements: bool


@lru_cache(maxsize=1)
def channel_settings() -> ChannelSettings:
    """Read once per process (the webhook path asks often); tests' overrides clear it."""
    given = dict(getattr(settings, "PALERMO_CHANNELS", {}) or {})
    rate = float(given.get("RATE_PER_SECOND") or 200)
    spool = given.get("SPOOL_DIR") or Path(settings.VAR_DIR) / "spool" / "channels"
    return ChannelSettings(
        public_url=str(given.get("PUBLIC_URL") or "").rstrip("/"),
        max_body_bytes=int(given.get("MAX_BODY_BYTES") or 64 * 1024),
        rate_per_second=rate,
        rate_burst=float(given.get("RATE_BURST") or rate * 2),
        bad_signatures_per_minute=int(given.get("BAD_SIGNATURES_PER_MINUTE") or 60),
        spool_dir=Path(spool),
        spool_max_files=int(given.get("SPOOL_MAX_FILES") or 1_000_000),
        channel_cache_seconds=float(given.get("CHANNEL_CACHE_SECONDS", 10)),
        auto_reply_hours=float(given.get("AUTO_REPLY_HOURS") or 24),
        bench_bare_endpoint=bool(given.get("BENCH_BARE_ENDPOINT", False)),
        prepared_statements=bool(given.get("PREPARED_STATEMENTS", True)),
    )


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("PALERMO_CHANNELS", "VAR_DIR"):
        channel_settings.cache_clear()

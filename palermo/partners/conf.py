"""The partners module's settings, read in one place (config/settings/base.py sets them)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

INBOX_PATH = "/partners/inbox/"
MAX_PACKAGE_BYTES = 1024 * 1024
# Delivery: the first retry after 30 s, doubling, at most an hour apart; given up after 12.
RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 3600
MAX_ATTEMPTS = 12
HTTP_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class PartnerSettings:
    ca_bundle: str
    insecure_allow_http: bool
    receiving_organisation: str
    max_age: datetime.timedelta
    max_skew: datetime.timedelta
    refusals_per_minute: int


def partner_settings() -> PartnerSettings:
    return PartnerSettings(
        ca_bundle=getattr(settings, "PALERMO_PARTNER_CA_BUNDLE", ""),
        insecure_allow_http=bool(getattr(settings, "PALERMO_PARTNER_INSECURE_ALLOW_HTTP", False)),
        receiving_organisation=getattr(settings, "PALERMO_PARTNER_RECEIVING_ORGANISATION", ""),
        max_age=datetime.timedelta(
            seconds=int(getattr(settings, "PALERMO_PARTNER_MAX_AGE_SECONDS", 600))
        ),
        max_skew=datetime.timedelta(
            seconds=int(getattr(settings, "PALERMO_PARTNER_MAX_SKEW_SECONDS", 120))
        ),
        refusals_per_minute=int(getattr(settings, "PALERMO_PARTNER_REFUSALS_PER_MINUTE", 30)),
    )


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long to wait after the `attempts`-th failed attempt (1, 2, …)."""
    seconds = min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)

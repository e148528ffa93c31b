"""Where an IP address is, from an offline database: no request ever leaves the machine.

The default database is the GeoLite2 City database shipped inside the `maxminddb-geolite2`
package (GeoLite2 data created by MaxMind, CC BY-SA 4.0; a 2018 build, so recent
re-allocations may resolve to an older place). An operator can point
PALERMO_TRAVEL_GEOIP_DATABASE at a newer MaxMind DB file (GeoLite2 City, DB-IP City Lite).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from dataclasses import dataclass
from typing import Any

import maxminddb
from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_readers: dict[str, Any] = {}


@dataclass(frozen=True)
class Place:
    """What an address resolves to. Empty strings when unknown (private or unlisted)."""

    ip: str
    country_code: str = ""
    country_name: str = ""
    city: str = ""

    @property
    def label(self) -> str:
        """'Chisinau, Republic of Moldova (MD)', or '' when nothing is known."""
        country = self.country_name or self.country_code
        if country and self.country_code and self.country_name:
            country = f"{self.country_name} ({self.country_code})"
        return ", ".join(part for part in (self.city, country) if part)


def database_path() -> str:
    configured: str = getattr(settings, "PALERMO_TRAVEL_GEOIP_DATABASE", "")
    if configured:
        return configured
    from _maxminddb_geolite2 import geolite2_database

    return str(geolite2_database())


def _reader() -> Any:
    path = database_path()
    with _lock:
        reader = _readers.get(path)
        if reader is None:
            reader = maxminddb.open_database(path)
            _readers[path] = reader
        return reader


def _name(record: dict[str, Any], language: str) -> str:
    names = record.get("names") or {}
    for key in (language, language.split("-")[0], "en"):
        if key in names:
            return str(names[key])
    return ""


def resolve(ip: str, language: str = "en") -> Place:
    """The country and city of `ip`, named in `language` where the database has it."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return Place(ip=ip)
    if not address.is_global:
        return Place(ip=str(address))
    try:
        record = _reader().get(str(address))
    except (OSError, ValueError) as exc:  # a missing or broken database: say nothing, log it
        logger.warning("IP geolocation unavailable: %s", exc)
        return Place(ip=str(address))
    if not isinstance(record, dict):
        return Place(ip=str(address))
    country = record.get("country") or record.get("registered_country") or {}
    return Place(
        ip=str(address),
        country_code=str(country.get("iso_code", "")),
        country_name=_name(country, language),
        city=_name(record.get("city") or {}, language),
    )

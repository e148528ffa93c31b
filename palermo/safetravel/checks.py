"""System checks (`palermo check`): the ladder and the timings must be within safe bounds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from . import rules

# setting name: (lowest, highest) accepted
BOUNDS: dict[str, tuple[int, int]] = {
    "PALERMO_TRAVEL_STALE_AFTER_MINUTES": (5, 120),
    "PALERMO_TRAVEL_OUTAGE_GRACE_MINUTES": (5, 180),
    "PALERMO_TRAVEL_TICK_SECONDS": (5, 300),
    "PALERMO_TRAVEL_SEND_LEASE_SECONDS": (30, 3600),
    "PALERMO_TRAVEL_PURGE_AFTER_DAYS": (1, 3650),
    "PALERMO_TRAVEL_MAX_EXTEND_HOURS": (1, 168),
    "PALERMO_TRAVEL_EARLY_CHECKIN_MINUTES": (0, 240),
    "PALERMO_TRAVEL_PIN_MAX_FAILURES": (3, 20),
    "PALERMO_TRAVEL_PIN_LOCKOUT_MINUTES": (1, 1440),
}


@checks.register()
def check_safe_travel_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    ladder = getattr(settings, "PALERMO_TRAVEL_LADDER_MINUTES", None)
    if not isinstance(ladder, dict):
        errors.append(
            checks.Error(
                "PALERMO_TRAVEL_LADDER_MINUTES must be a dict of minutes per step.",
                id="safetravel.E001",
            )
        )
    else:
        for problem in rules.ladder_problems(ladder):
            errors.append(
                checks.Error(
                    f"PALERMO_TRAVEL_LADDER_MINUTES: {problem}.",
                    hint="Reminder 0-60, second reminder 5-240, contacts 15-1440, urgent "
                    "30-2880 minutes after the due time, in that order.",
                    id="safetravel.E002",
                )
            )
    for name, (low, high) in BOUNDS.items():
        value = getattr(settings, name, None)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors.append(
                checks.Error(
                    f"{name} must be a whole number from {low} to {high}, not {value!r}.",
                    id="safetravel.E003",
                )
            )
    stale = getattr(settings, "PALERMO_TRAVEL_STALE_AFTER_MINUTES", 15)
    tick = getattr(settings, "PALERMO_TRAVEL_TICK_SECONDS", 15)
    if isinstance(stale, int) and isinstance(tick, int) and tick * 2 > stale * 60:
        errors.append(
            checks.Error(
                "PALERMO_TRAVEL_STALE_AFTER_MINUTES must be at least two scheduler cycles "
                "(PALERMO_TRAVEL_TICK_SECONDS), or every step would look stale.",
                id="safetravel.E004",
            )
        )
    return errors

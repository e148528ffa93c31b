"""Fixtures for the safe-travel tests: SMS goes to the recording provider, email to locmem."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import LazySettings

from palermo.safetravel.delivery import RecordingProvider


@pytest.fixture(autouse=True)
def _recording_sms(settings: LazySettings) -> Iterator[None]:
    """Every SMS of these tests is kept by the recording provider (in memory)."""
    settings.PALERMO_TRAVEL_SMS_PROVIDER = "palermo.safetravel.delivery.RecordingProvider"
    settings.PALERMO_TRAVEL_RECORDING_LOG = ""
    settings.PALERMO_TRAVEL_HOTLINE_PHONE = "+373 800 77777"
    RecordingProvider.clear()
    yield
    RecordingProvider.clear()

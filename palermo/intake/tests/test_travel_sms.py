"""A traveller checks in by SMS through a real channel webhook: safe travel answers it, and the
message is not filed with the hotline (a check-in carries a PIN; a traveller is no caller)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.channels.models import Direction, Message
from palermo.intake.models import Contact
from palermo.safetravel.models import CheckIn
from palermo.safetravel.tests.factories import PIN, armed_trip, make_traveller

from .test_filing import channel, channel_spool, send  # noqa: F401 - fixtures and helper

pytestmark = pytest.mark.django_db


def test_an_sms_check_in_is_answered_by_safe_travel_and_not_filed(
    client: Client,
    channel: Any,  # noqa: F811
) -> None:
    traveller = make_traveller(phone="+37369123456")
    trip = armed_trip(traveller=traveller, at=timezone.now())
    response = send(client, channel, "st-1", f"OK {PIN}", sender="+37369123456")
    assert response.status_code == 200
    assert CheckIn.objects.filter(trip=trip, channel="sms").count() == 1
    assert not Contact.objects.exists()
    reply = Message.objects.filter(direction=Direction.OUTBOUND).get()
    assert reply.text and PIN not in reply.text
    # The same message retried by the gateway checks in once.
    send(client, channel, "st-1", f"OK {PIN}", sender="+37369123456")
    assert CheckIn.objects.filter(trip=trip).count() == 1

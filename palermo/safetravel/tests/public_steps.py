"""What a traveller does on the public pages, shared by the public-page and browser tests."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.test import Client

from palermo.safetravel.models import Notification, Traveller
from palermo.safetravel.public_accounts import parse_address

from .factories import DURESS_PIN, PIN

CODE_IN_MESSAGE = re.compile(r"\b([0-9]{6})\b")
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')

NEW_ACCOUNT = {
    "display_name": "Olena",
    "language": "uk",
    "time_zone": "Europe/Warsaw",
    "pin": PIN,
    "pin_again": PIN,
    "duress_pin": DURESS_PIN,
    "duress_pin_again": DURESS_PIN,
}


def clear_limits() -> None:
    cache.clear()


def last_code(address: str) -> str:
    """The code in the latest message sent to `address` (as the phone or mailbox shows it)."""
    wanted = parse_address(address).value
    notes = [
        n
        for n in Notification.objects.filter(idempotency_key__startswith="code:").order_by("-id")
        if n.address == wanted
    ]
    assert notes, f"no code was sent to {address}"
    match = CODE_IN_MESSAGE.search(notes[0].body)
    assert match, notes[0].body
    return match.group(1)


def comparable(content: bytes) -> str:
    """A page without what differs on every request (the CSRF token)."""
    return CSRF_VALUE.sub('name="csrfmiddlewaretoken" value=""', content.decode())


def sign_up(client: Client, address: str, **account: Any) -> Traveller:
    """Sign up through the pages: address, code, account form. Returns the new traveller."""
    response = client.post("/travel/start/", {"address": address})
    assert response.status_code == 302, response.content[:400]
    response = client.post("/travel/start/code/", {"code": last_code(address)})
    assert response.status_code == 302, response.content[:400]
    response = client.post("/travel/start/account/", {**NEW_ACCOUNT, **account})
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == "/travel/home/"
    traveller = Traveller.objects.order_by("-id").first()
    assert traveller is not None
    return traveller


def sign_in(client: Client, address: str, pin: str = PIN) -> None:
    response = client.post("/travel/sign-in/", {"address": address, "pin": pin})
    assert response.status_code == 302, response.content[:2000]

"""The traveller's journey in a real browser (Debian's Chromium through Playwright).

Sign up, add a trip and two trusted contacts, the contacts confirm by their links, a check-in
is missed (time moved on with `palermo travel tick --now`), both contacts are alerted with the
last known place, the traveller checks in, and everyone alerted receives the all clear.

The browser reaches the live server through a (pretend) reverse proxy that reports the
traveller's address in X-Forwarded-For, as a deployment behind nginx would: that address is
the "last known place" the alerts give. Assertions are on element ids, never on wording.
"""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import LazySettings
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from palermo.safetravel.delivery import RecordingProvider
from palermo.safetravel.models import Notification, Traveller, Trip
from tests.browser_steps import new_context
from tests.conftest import browser, screenshot_dir  # noqa: F401  (fixtures)

from .factories import DURESS_PIN, PIN
from .public_steps import clear_limits, last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW_PHONE = {"width": 360, "height": 740}
CHISINAU = "81.180.64.1"  # where the traveller connects from (GeoLite2: Chișinău, Moldova)
TRAVELLER_PHONE = "+380 67 123 4567"
SMS_CONTACT = "+380501112200"
EMAIL_CONTACT = "maria@example.org"
CONFIRM_LINK = re.compile(r"(https?://\S+/travel/confirm/[A-Za-z0-9_-]+/)")


def _wide(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def mail_to(address: str, step: str) -> list[mail.EmailMessage]:
    """Emails to `address` for one kind of ladder step (by the idempotency key they carry)."""
    return [
        m
        for m in mail.outbox
        if m.to == [address]
        and f":{step}:" in str(m.extra_headers.get("X-Palermo-Idempotency-Key", ""))
    ]


def _invitation_link(trip: Trip, name: str) -> str:
    contact = next(c for c in trip.contacts.all() if c.name == name)
    note = Notification.objects.filter(contact=contact, purpose="invitation").order_by("-id")[0]
    match = CONFIRM_LINK.search(note.body)
    assert match, note.body
    return match.group(1)


def test_sign_up_trip_contacts_missed_check_in_alerts_and_all_clear(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
    settings: LazySettings,
) -> None:
    clear_limits()
    settings.PALERMO_TRUSTED_PROXIES = ["127.0.0.1"]
    context = new_context(
        browser,
        str(live_server),
        viewport=NARROW_PHONE,
        java_script_enabled=False,  # a cheap phone: everything works without JavaScript
        extra_http_headers={"X-Forwarded-For": CHISINAU},
    )
    page = context.new_page()
    widths: dict[str, int] = {}

    # Sign up: phone number, the code from the text message, PINs and profile.
    page.goto("/travel/")
    widths["front"] = _wide(page)
    page.screenshot(path=screenshot_dir / "travel-front.png", full_page=True)
    page.locator("#start-link").click()
    page.fill("#id_address", TRAVELLER_PHONE)
    page.locator("#send-code").click()
    page.wait_for_url(re.compile(r"/travel/start/code/$"))
    expect(page.locator("#code-sent")).to_be_visible()
    [code_sms] = RecordingProvider.sent_to("+380671234567")  # handed to the SMS provider
    assert code_sms.idempotency_key.startswith("code:")
    page.fill("#id_code", last_code(TRAVELLER_PHONE))
    page.locator("#check-code").click()
    page.wait_for_url(re.compile(r"/travel/start/account/$"))
    page.fill("#id_pin", PIN)
    page.fill("#id_pin_again", PIN)
    page.fill("#id_duress_pin", DURESS_PIN)
    page.fill("#id_duress_pin_again", DURESS_PIN)
    page.fill("#id_display_name", "Olena")
    page.select_option("#id_language", "en")
    page.select_option("#id_time_zone", "Europe/Warsaw")
    widths["account"] = _wide(page)
    page.screenshot(path=screenshot_dir / "travel-account.png", full_page=True)
    page.locator("#save-account").click()
    page.wait_for_url(re.compile(r"/travel/home/$"))
    traveller = Traveller.objects.get()
    assert traveller.phone == "+380671234567"

    # A trip.
    page.locator("#add-trip").click()
    page.wait_for_url(re.compile(r"/travel/trips/new/$"))
    page.select_option("#id_destination_country", "PL")
    page.fill("#id_destination_city", "Wrocław")
    page.fill("#id_start_date", "2025-03-01")
    page.fill("#id_end_date", "2025-09-30")
    page.fill("#id_employer", "Agro Fields Sp. z o.o.")
    page.fill("#id_recruiter", "Fast Jobs Abroad SRL")
    page.fill("#id_address_abroad", "ul. Polna 3, Wrocław")
    page.fill("#id_travel_mode", "Bus")
    page.fill("#id_interval_hours", "12")
    widths["trip-form"] = _wide(page)
    page.screenshot(path=screenshot_dir / "travel-trip-form.png", full_page=True)
    page.locator("#save-trip").click()
    trip = Trip.objects.get()
    page.wait_for_url(re.compile(rf"/travel/trips/{trip.public_id}/$"))

    # Two trusted contacts: one by text message, one by email.
    for name, field, value in (
        ("Ivan", "#id_phone", SMS_CONTACT),
        ("Maria", "#id_email", EMAIL_CONTACT),
    ):
        page.fill("#id_name", name)
        page.fill(field, value)
        page.locator("#add-contact").click()
        page.wait_for_url(re.compile(rf"/travel/trips/{trip.public_id}/$"))
    expect(page.locator(".contact-list li")).to_have_count(2)
    expect(page.locator("#arm-trip")).to_have_count(0)  # nobody has confirmed yet
    widths["trip"] = _wide(page)

    # Each contact opens the link they received, in their own browser, and agrees.
    for name in ("Ivan", "Maria"):
        contact_browser = new_context(browser, str(live_server), viewport=NARROW_PHONE)
        contact_page = contact_browser.new_page()
        contact_page.goto(_invitation_link(trip, name))
        widths["confirm"] = _wide(contact_page)
        contact_page.screenshot(path=screenshot_dir / f"travel-confirm-{name}.png", full_page=True)
        contact_page.locator("#accept").click()
        expect(contact_page.locator("#contact-confirmed")).to_be_visible()
        contact_browser.close()

    # Check-ins start.
    page.reload()
    page.locator("#arm-trip").click()
    page.wait_for_url(re.compile(rf"/travel/trips/{trip.public_id}/$"))
    expect(page.locator("#trip-status")).to_have_class(re.compile(r"status-armed"))
    page.screenshot(path=screenshot_dir / "travel-trip-armed.png", full_page=True)
    trip.refresh_from_db()
    assert trip.status == "armed" and trip.next_due_at is not None
    assert trip.last_access_ip == CHISINAU

    # The check-in is missed: two hours after it was due, the contacts are alerted.
    out = io.StringIO()
    late = trip.next_due_at + datetime.timedelta(hours=2, minutes=1)
    call_command("travel", "tick", "--now", late.isoformat(), stdout=out)
    assert f"{trip.reference} contacts_alert" in out.getvalue()
    [sms_alert] = [
        r for r in RecordingProvider.sent_to(SMS_CONTACT) if "contacts_alert" in r.idempotency_key
    ]
    [mail_alert] = mail_to(EMAIL_CONTACT, "contacts_alert")
    for alert in (sms_alert.body, mail_alert.body):
        assert "Olena" in alert and "Wrocław" in alert
        assert CHISINAU in alert and "Chi" in alert  # the last known place: IP and city
        assert trip.reference in alert

    # The traveller checks in: one tap (the PIN was typed moments ago).
    page.goto("/travel/home/")
    expect(page.locator(".overdue")).to_be_visible()
    widths["home"] = _wide(page)
    page.screenshot(path=screenshot_dir / "travel-home-overdue.png", full_page=True)
    page.locator("#check-in").click()
    expect(page.locator("#checked-in")).to_be_visible()
    expect(page.locator("#all-clear")).to_be_visible()
    page.screenshot(path=screenshot_dir / "travel-checked-in.png", full_page=True)

    # Both contacts receive the all clear.
    all_clear_sms = [
        r for r in RecordingProvider.sent_to(SMS_CONTACT) if "all_clear" in r.idempotency_key
    ]
    all_clear_mail = mail_to(EMAIL_CONTACT, "all_clear")
    assert len(all_clear_sms) == 1 and len(all_clear_mail) == 1
    context.close()

    too_wide = {name: width for name, width in widths.items() if width > NARROW_PHONE["width"]}
    assert not too_wide, f"pages scroll sideways at 360 px (scrollWidth): {too_wide}"

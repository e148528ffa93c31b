"""End to end in a real browser: Debian's Chromium, driven by Playwright, against live_server.

Assertions are on structure (element ids, the html `lang` attribute, URLs), never on English
wording, so they hold whatever the translations say. Screenshots go to test-results/.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.people.models import Person
from palermo.people.services import person_create
from palermo.testing import actor_for, member

from .browser_steps import new_context, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW_PHONE = {"width": 360, "height": 740}


def registered_person(membership: Membership, **data: str) -> Person:
    fields = {
        "first_name": "Олена",
        "second_name": "Коваленко",
        "birthdate": "1999-04-02",
        "gender": "Feminine",
        "mobile_phone": "+380 67 123 4567",
        **data,
    }
    return person_create(actor=actor_for(membership), data=fields)


def test_sign_in_register_find_and_switch_language(page: Page, screenshot_dir: Path) -> None:
    membership = member(Role.CASE_WORKER)
    sign_in(page, membership)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto("/people/new/")
    page.fill("#id_first_name", "Олена")
    page.fill("#id_second_name", "Коваленко")
    page.fill("#id_birthdate", "1999-04-02")
    page.select_option("#id_gender", "Feminine")
    page.fill("#id_mobile_phone", "+380 67 123 4567")
    page.screenshot(path=screenshot_dir / "person-form.png", full_page=True)
    page.locator("form.stacked button[type=submit]").click()
    person = Person.objects.get()
    page.wait_for_url(re.compile(rf"/people/{person.public_id}/$"))
    expect(page.locator("h1")).to_contain_text("Олена")
    page.screenshot(path=screenshot_dir / "person-detail.png", full_page=True)

    # Search in Latin script for a name registered in Cyrillic: htmx swaps in the results.
    page.goto("/people/")
    page.fill("#id_q", "Kovalenko")
    page.locator("form.search-form button[type=submit]").click()
    result = page.locator(f"#results a[href$='/people/{person.public_id}/']")
    expect(result).to_contain_text("Коваленко")
    page.screenshot(path=screenshot_dir / "people-search.png", full_page=True)

    # The language switcher submits itself when its select changes (no button with JS on).
    expect(page.locator(".language-form button[type=submit]")).to_be_hidden()
    with page.expect_navigation():
        page.select_option("#language-select", "uk")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    assert urlsplit(page.url).path == "/people/"
    page.screenshot(path=screenshot_dir / "people-uk.png", full_page=True)
    page.goto(f"/people/{person.public_id}/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")


def test_pages_fit_a_360_pixel_wide_phone(
    browser: Browser, live_server: object, screenshot_dir: Path
) -> None:
    membership = member(Role.CASE_WORKER)
    person = registered_person(
        membership, email="olena.kovalenko@example.org", identity_number="AB1234567"
    )
    context = new_context(browser, str(live_server), viewport=NARROW_PHONE)
    page = context.new_page()
    page.goto("/accounts/login/")
    widths = {"login": page.evaluate("document.documentElement.scrollWidth")}
    page.screenshot(path=screenshot_dir / "phone-login.png", full_page=True)
    sign_in(page, membership)
    for name, path in {
        "home": "/",
        "people": "/people/?q=Olena",
        "form": "/people/new/",
        "person": f"/people/{person.public_id}/",
    }.items():
        page.goto(path)
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=screenshot_dir / f"phone-{name}.png", full_page=True)
    context.close()
    too_wide = {name: width for name, width in widths.items() if width > NARROW_PHONE["width"]}
    assert not too_wide, f"pages scroll sideways at 360 px (scrollWidth): {too_wide}"


def test_reading_a_person_works_without_javascript(
    browser: Browser, live_server: object, screenshot_dir: Path
) -> None:
    membership = member(Role.CASE_WORKER)
    person = registered_person(membership)
    context = new_context(browser, str(live_server), java_script_enabled=False)
    page = context.new_page()
    sign_in(page, membership)

    page.goto("/people/")
    page.fill("#id_q", "Olena")
    page.locator("form.search-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/people/\?q=Olena"))
    page.locator(f"#results a[href$='/people/{person.public_id}/']").click()
    page.wait_for_url(re.compile(rf"/people/{person.public_id}/$"))
    expect(page.locator("h1")).to_contain_text("Олена")
    expect(page.locator("h1")).to_contain_text(person.reference)
    page.screenshot(path=screenshot_dir / "no-js-person.png", full_page=True)

    # Without JavaScript the language switcher shows its own button.
    page.select_option("#language-select", "uk")
    page.locator(".language-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/people/{person.public_id}/$"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    context.close()

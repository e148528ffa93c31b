"""The public tip form in a real browser (Debian's Chromium through Playwright), in two
languages: send a report, read the reference and secret, add information with them.

Assertions are on structure (ids, the html `lang` attribute), never on wording.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from palermo.accounts.roles import Role
from palermo.intake.models import Campaign, Contact, TipFollowUp
from palermo.testing import OrganisationFactory, member
from tests.browser_steps import new_context, sign_in
from tests.conftest import browser, screenshot_dir  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def hotline_campaign(transactional_db: None) -> Campaign:
    hotline = OrganisationFactory(name="Drum Sigur Hotline", country="MD")
    return Campaign.objects.create(
        owner_organisation=hotline, name="Public tip form", receives_web_tips=True
    )


@pytest.mark.parametrize(("language", "javascript"), [("uk", True), ("ro", False)])
def test_send_a_tip_and_add_to_it_later(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
    hotline_campaign: Campaign,
    language: str,
    javascript: bool,
) -> None:
    # The browser asks for the language (Accept-Language), as a tipster's phone would.
    context = browser.new_context(
        base_url=str(live_server),
        locale=language,
        viewport=NARROW_PHONE,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/tip/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    page.fill("#id_what", "Мікроавтобус ABC 123 забирає дівчат біля вокзалу, водій 069 123 456.")
    page.fill("#id_where", "Ungheni")
    page.screenshot(path=screenshot_dir / f"tip-form-{language}.png", full_page=True)
    page.locator("#tip-submit").click()
    reference = page.locator("#tip-reference").inner_text()
    secret = page.locator("#tip-secret").inner_text()
    assert re.fullmatch(r"T-[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.screenshot(path=screenshot_dir / f"tip-received-{language}.png", full_page=True)
    contact = Contact.objects.get()
    assert contact.channel == "web_form" and contact.category == "tip"

    page.goto("/tip/follow-up/")
    page.fill("#id_reference", reference)
    page.fill("#id_secret", "WRONG-SECRET")
    page.fill("#id_text", "Додатково: номер @driver_md")
    page.locator("#follow-up-submit").click()
    expect(page.locator("#follow-up-errors")).to_be_visible()
    assert not TipFollowUp.objects.exists()
    page.fill("#id_reference", reference)
    page.fill("#id_secret", secret)
    page.locator("#follow-up-submit").click()
    expect(page.locator("#follow-up-done")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"tip-follow-up-{language}.png", full_page=True)
    assert TipFollowUp.objects.get().text == "Додатково: номер @driver_md"
    context.close()


def test_the_queue_refreshes_itself_and_claims_work(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
    hotline_campaign: Campaign,
) -> None:
    operator = member(Role.HOTLINE_OPERATOR, hotline_campaign.owner_organisation)
    context = new_context(browser, str(live_server))
    page = context.new_page()
    sign_in(page, operator)
    page.goto("/intake/")
    expect(page.locator("#queue")).to_be_visible()
    # A tip arrives while the operator watches: the queue shows it within its refresh.
    from django.test import Client

    Client().post("/tip/", {"what": "A crisis: she is locked in, call 069 123 456"})
    contact = Contact.objects.get()
    row = page.locator(f"#contact-{contact.public_id}")
    expect(row).to_be_visible(timeout=15_000)
    page.screenshot(path=screenshot_dir / "hotline-queue.png", full_page=True)
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    contact.refresh_from_db()
    assert contact.assigned_to == operator.user
    page.goto(f"/intake/{contact.public_id}/")
    expect(page.locator("h1")).to_contain_text(contact.reference)
    page.screenshot(path=screenshot_dir / "hotline-contact.png", full_page=True)
    page.goto("/intake/statistics/")
    expect(page.locator("#figures-category")).to_be_visible()
    page.screenshot(path=screenshot_dir / "intake-statistics.png", full_page=True)
    context.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_a_situation_is_opened_grown_and_closed_on_a_narrow_phone(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
    hotline_campaign: Campaign,
    javascript: bool,
) -> None:
    from palermo.intake import services
    from palermo.intake.models import Situation
    from palermo.people.services import person_create
    from palermo.testing import actor_for

    hotline = hotline_campaign.owner_organisation
    operator = member(Role.HOTLINE_OPERATOR, hotline)
    actor = actor_for(operator)
    first, second = (
        services.contact_create(
            actor=actor, data={"channel": "phone", "category": "tip", "narrative": text}
        )
        for text in ("A white minibus at the border.", "The same minibus, again.")
    )
    ana = person_create(actor=actor, data={"first_name": "Ana", "second_name": "Cojocaru"})
    context = new_context(
        browser, str(live_server), viewport=NARROW_PHONE, java_script_enabled=javascript
    )
    page = context.new_page()
    sign_in(page, operator)
    page.goto("/intake/situations/")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    page.fill("#id_new_contact", first.reference)
    page.fill("#id_new_summary", "One minibus, several calls")
    with page.expect_navigation():
        page.locator("form[action$='/situations/new/'] button[type=submit]").click()
    situation = Situation.objects.get()
    page.fill("#id_contact_contact", second.reference)
    with page.expect_navigation():
        page.locator("form[action$='/contacts/'] button[type=submit]").click()
    page.fill("#id_person_person", str(ana.public_id))
    with page.expect_navigation():
        page.locator("form[action$='/persons/'] button[type=submit]").click()
    expect(page.locator(f"#contact-{second.public_id}")).to_be_visible()
    expect(page.locator(".person-links")).to_contain_text("Cojocaru")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    page.screenshot(
        path=screenshot_dir / f"situation-{'js' if javascript else 'nojs'}.png", full_page=True
    )
    with page.expect_navigation():
        page.locator("form[action$='/status/'] button[type=submit]").click()
    situation.refresh_from_db()
    assert situation.status == "closed"
    assert set(situation.contacts.all()) == {first, second}
    context.close()

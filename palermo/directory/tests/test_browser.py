"""The public find-help page in a real browser (Debian's Chromium), on a 360 px phone.

In two languages, with and without JavaScript: it fits the screen, the hotline comes first, the
language links work, the filter form works, and a confidential address is not on the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from palermo.directory.models import Service
from tests.browser_steps import new_context
from tests.conftest import browser, screenshot_dir  # noqa: F401 - shared fixtures

from .conftest import CONFIDENTIAL_ADDRESS, make_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW_PHONE = {"width": 360, "height": 740}


@pytest.mark.parametrize("javascript", [True, False])
def test_find_help_on_a_phone_in_two_languages(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
    women_shelter: Service,
    clinic_service: Service,
    javascript: bool,
) -> None:
    make_service(
        clinic_service.provider,
        service_type="Hotline",
        phone="+373 800 12 345",
        open_24_hours=True,
        languages=["ro", "ru", "uk"],
    )
    context = new_context(
        browser, str(live_server), viewport=NARROW_PHONE, java_script_enabled=javascript
    )
    page = context.new_page()
    suffix = "js" if javascript else "nojs"

    page.goto("/help/")
    page.locator("a[href='/help/MD/']").click()
    page.wait_for_url(re.compile(r"/help/MD/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#hotline a[href^='tel:']")).to_have_text("+373 800 12 345")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    assert CONFIDENTIAL_ADDRESS not in page.content()
    expect(page.locator(f"#service-{women_shelter.public_id}")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"find-help-en-{suffix}.png", full_page=True)

    # Another language: its own link, the same page in Ukrainian.
    page.locator(".help-languages a[hreflang='uk']").click()
    page.wait_for_url(re.compile(r"/help/MD/\?lang=uk$"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    assert CONFIDENTIAL_ADDRESS not in page.content()
    page.screenshot(path=screenshot_dir / f"find-help-uk-{suffix}.png", full_page=True)

    # The filter keeps the language and narrows the list.
    page.select_option("#id_service_type", "Health")
    page.locator("form.help-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"service_type=Health"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator(f"#service-{clinic_service.public_id}")).to_be_visible()
    expect(page.locator(f"#service-{women_shelter.public_id}")).to_have_count(0)
    context.close()

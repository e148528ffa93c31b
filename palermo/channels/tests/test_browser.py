"""The channels page in a real browser (Debian's Chromium through Playwright): an
administrator adds a channel on a 360-pixel phone, reads its URLs, deactivates it.

Assertions are on structure (ids, URLs), never on wording.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from palermo.accounts.roles import Role
from palermo.channels.models import Channel
from palermo.testing import OrganisationFactory, member
from tests.browser_steps import new_context, sign_in
from tests.conftest import browser, screenshot_dir  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW_PHONE = {"width": 360, "height": 740}


@pytest.mark.parametrize("javascript", [True, False])
def test_administrator_adds_and_deactivates_a_channel(
    browser: Browser,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
    javascript: bool,
) -> None:
    admin = member(Role.ADMINISTRATOR, OrganisationFactory(name="Hotline", country="MD"))
    context = new_context(
        browser, str(live_server), viewport=NARROW_PHONE, java_script_enabled=javascript
    )
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    sign_in(page, admin)
    page.goto("/c/admin/")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    page.select_option("#id_type", "africastalking")
    page.fill("#id_address", "+254711000111")
    page.fill("#id_country", "KE")
    page.fill("#id_label", "Radio spot")
    page.screenshot(path=screenshot_dir / f"channels-form-js{int(javascript)}.png", full_page=True)
    page.locator("form[action$='/c/admin/new/'] button[type=submit]").click()
    channel = Channel.objects.get()
    receive = page.locator(f"code:has-text('/c/africastalking/{channel.public_id}/receive')")
    expect(receive).to_contain_text(f"secret={channel.secret}")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    page.screenshot(path=screenshot_dir / f"channels-created-js{int(javascript)}.png")

    page.goto("/c/admin/")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW_PHONE["width"]
    page.screenshot(path=screenshot_dir / f"channels-list-js{int(javascript)}.png", full_page=True)
    page.locator(f"form[action$='/c/admin/{channel.public_id}/deactivate/'] button").click()
    page.wait_for_url(re.compile(r"/c/admin/$"))
    channel.refresh_from_db()
    assert channel.active is False
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()

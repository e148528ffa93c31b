"""What a person does in the browser, shared by the browser tests: open a tab, sign in."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from palermo.accounts.models import Membership
from palermo.testing import TEST_PASSWORD, confirmed_totp_device, current_code

HOME_URL = re.compile(r"^https?://[^/]+/$")


def new_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    """A browser profile of its own (cookies, language) whose relative URLs go to `base_url`."""
    context = browser.new_context(base_url=base_url, locale="en-GB", **options)
    context.set_default_timeout(15_000)
    return context


def sign_in(page: Page, membership: Membership) -> None:
    """Sign in through the real pages: username and password, then the authenticator code."""
    device = confirmed_totp_device(membership.user)
    page.goto("/accounts/login/")
    page.fill("#id_username", membership.user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/second-factor/$"))
    page.fill("#id_code", current_code(device))
    page.locator("form[action$='/accounts/second-factor/'] button[type=submit]").click()
    page.wait_for_url(HOME_URL)

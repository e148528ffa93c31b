"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against `live_server`.

Playwright's sync API runs an asyncio event loop in this thread, so Django would refuse ORM
calls from the tests ("You cannot call this from an async context"). The tests are plain
synchronous code, so the check is switched off while a browser is open, and only then.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .browser_steps import new_context

CHROMIUM = Path(os.environ.get("PALERMO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The machine has no internet: without these Chromium keeps trying to phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BUNDLE = Path(__file__).resolve().parent.parent / "palermo" / "web" / "static" / "build"


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config) -> Path:
    """test-results/ at the top of the repository (git ignores it)."""
    directory = pytestconfig.rootpath / "test-results"
    directory.mkdir(exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: `make test` installs Debian's chromium package.")
    missing = [name for name in ("main.js", "main.css") if not (BUNDLE / name).exists()]
    if missing:
        pytest.fail(
            f"The asset bundle is not built ({', '.join(missing)} missing in {BUNDLE}): "
            "run `make assets` (npm ci && npm run build)."
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser, live_server: object) -> Iterator[Page]:
    """A fresh browser tab (own cookies) whose relative URLs go to the live test server."""
    context = new_context(browser, str(live_server))
    yield context.new_page()
    context.close()

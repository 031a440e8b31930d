"""Playwright on Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread; Django refuses ORM
# calls from such a thread unless told it is safe, which it is in tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
# Ignored by git; `make screenshots` points this at docs/screenshots/ instead,
# to refresh the README's pictures.
SCREENSHOTS = ROOT / os.environ.get("PORTICO_SCREENSHOTS", "var/screenshots")
DEMO_PASSWORD = "demo-browser-password"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The demo data set, as `make run` creates it, with a known password."""
    call_command("seed_demo", password=DEMO_PASSWORD, verbosity=0)


@pytest.fixture
def server_url(live_server: Any) -> Any:
    yield live_server.url
    # The shared cache (a table Django's flush leaves alone) must not carry
    # this test's menus of pages into the next test's database.
    caches["shared"].clear()


@pytest.fixture
def screenshot(page: Any) -> Any:
    """Save a full-page screenshot, to look at (var/screenshots/) or for the README."""

    def take(name: str, of: Any = None) -> Path:
        """Of the test's page, or of another one (a second browser, a phone)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(page: Any, server_url: str) -> Any:
    def do(email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{server_url}/signin/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    return do


@pytest.fixture
def new_signed_in_page(context: Any, browser: Any, server_url: str) -> Any:
    """A second browser (its own cookies) signed in as someone else."""
    opened = []

    def open_as(email: str, password: str = DEMO_PASSWORD) -> Any:
        other = browser.new_context(viewport={"width": 1280, "height": 800})
        opened.append(other)
        other_page = other.new_page()
        other_page.goto(f"{server_url}/signin/")
        other_page.get_by_label("Email").fill(email)
        other_page.get_by_label("Password").fill(password)
        other_page.get_by_role("button", name="Sign in").click()
        other_page.get_by_role("button", name="Sign out").wait_for()
        return other_page

    yield open_as
    for other in opened:
        other.close()

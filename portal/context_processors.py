from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

from portal import approvals, preview
from portal.models import SignUpSettings, is_administrator

# The console's left menu: section, label, URL name.
CONSOLE_MENU = [
    ("home", "Overview", "console:home"),
    ("approvals", "Approvals", "console:approvals"),
    ("groups", "Groups", "groups:list"),
    ("products", "Products", "products:list"),
    ("apis", "APIs", "apis:list"),
    ("pages", "Pages", "content:list"),
    ("subscriptions", "Subscriptions", "subscriptions:list"),
    ("users", "Users", "console:users"),
    ("reviews", "Reviews", "reviews:list"),
    ("jobs", "Jobs", "console:jobs"),
    ("activity", "Activity", "audit:activity"),
    ("settings", "Settings", "console:settings"),
]


@functools.cache
def _menu(script_prefix: str, urlconf: str | None) -> list[tuple[str, str, str]]:
    """The menu with its URLs, reversed once per process and URLconf/script prefix (which
    decide them): nine reverse() calls on every console page were a tenth of a short page."""
    return [(key, label, reverse(url_name, urlconf)) for key, label, url_name in CONSOLE_MENU]


def roles(request: HttpRequest) -> dict[str, object]:
    """Whether the visitor is an administrator, for the top bar's Console link."""
    return {"is_administrator": is_administrator(request.user)}


def console_section(request: HttpRequest) -> dict[str, object]:
    """The console's menu, which entry the current page belongs to, and what waits for approval."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    if match.namespace in ("groups", "products", "subscriptions", "reviews"):
        section = match.namespace
    elif match.namespace == "apis":
        # A product's APIs tab is one of the product's pages.
        section = "products" if (match.url_name or "").startswith("product_") else "apis"
    elif match.namespace == "content":
        # Settings › Branding is a settings page; the rest is the Pages tab.
        section = "settings" if (match.url_name or "").startswith("branding") else "pages"
    elif match.namespace == "audit":
        section = "activity"
    elif match.namespace == "console":
        name = match.url_name or ""
        section = "users" if name.startswith("user") else name
        section = "settings" if name.startswith(("token", "signup")) else section
        section = "jobs" if name.startswith("job") else section
    else:
        return {}
    return {
        "console_menu": _menu(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF),
        "console_section": section,
        # Counted when a page shows it, once however often it shows it.
        "waiting_approvals": functools.cache(approvals.waiting_count),
    }


def portal_preview(request: HttpRequest) -> dict[str, object]:
    """The console's "View as" preview, for the banner on portal pages."""
    if preview.SESSION_KEY not in getattr(request, "session", {}):
        return {}
    return {"preview": preview.current(request)}


def _sign_up_open() -> bool:
    enabled = SignUpSettings.objects.filter(pk=1).values_list("enabled", flat=True).first()
    return True if enabled is None else enabled


def sign_up(request: HttpRequest) -> dict[str, object]:
    """Whether guests are offered "Create an account"; read only by pages that show the link."""
    return {"sign_up_open": _sign_up_open}

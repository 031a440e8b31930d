from __future__ import annotations

from django.http import HttpRequest


def console_section(request: HttpRequest) -> dict[str, str]:
    """Which entry of the console's left menu the current page belongs to."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    if match.namespace in ("groups", "products", "subscriptions"):
        section = match.namespace
    elif match.namespace == "console":
        name = match.url_name or ""
        section = "users" if name.startswith("user") else name
        section = "settings" if name.startswith("token") else section
    else:
        return {}
    # The menu shows how many requests wait for approval on every console page.
    from products.models import Subscription

    waiting = Subscription.objects.filter(state=Subscription.State.SUBMITTED).count()
    return {"console_section": section, "waiting_subscriptions": waiting}


def portal_preview(request: HttpRequest) -> dict[str, object]:
    """The console's "View as" preview, for the banner on portal pages."""
    from portal import preview

    if preview.SESSION_KEY not in getattr(request, "session", {}):
        return {}
    return {"preview": preview.current(request)}

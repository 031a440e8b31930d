from __future__ import annotations

from django.http import HttpRequest


def console_section(request: HttpRequest) -> dict[str, str]:
    """Which entry of the console's left menu the current page belongs to."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    if match.namespace in ("groups", "products", "subscriptions"):
        return {"console_section": match.namespace}
    if match.namespace == "console":
        name = match.url_name or ""
        return {"console_section": "users" if name.startswith("user") else name}
    return {}


def portal_preview(request: HttpRequest) -> dict[str, object]:
    """The console's "View as" preview, for the banner on portal pages."""
    from portal import preview

    if preview.SESSION_KEY not in getattr(request, "session", {}):
        return {}
    return {"preview": preview.current(request)}

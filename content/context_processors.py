"""The branding, for the portal's top bar, title and accent stylesheet."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from content import branding as branding_services


def branding(request: HttpRequest) -> dict[str, object]:
    """Read (from the shared cache) only by pages that show it, once however often they do."""
    return {"branding": SimpleLazyObject(branding_services.current)}

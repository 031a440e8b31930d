"""The key check's own listener: the gateway check and a health check, nothing else.

`make run` starts it beside the portal (the Procfile's `gateway` process,
PORTICO_LISTENER=gateway), so no amount of portal traffic, sign-in floods
included, queues in front of the check that every proxied API call waits on.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.views import portal as portal_views
from subscriptions.views import gateway

urlpatterns = [
    path("gateway/check", gateway.check, name="gateway_check"),
    path("health/", portal_views.health, name="health"),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Anything but the check: a plain 404, since the portal's pages aren't served here."""
    return HttpResponse(
        "Not found. This listener serves only /gateway/check.\n",
        status=404,
        content_type="text/plain",
    )


handler404 = not_found
handler500 = "portal.views.errors.server_error"

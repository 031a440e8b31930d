"""Email to developers about their requests for access, sent through portal.mail.send_later.

The administrators hear of new requests from the approvals inbox's digest
(portal.approvals.announce), not one email per request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from portal import mail
from products.models import AccessRequest


def _send(template: str, request_id: int, link: str) -> None:
    request = AccessRequest.objects.select_related("user", "product", "group").get(pk=request_id)
    context: dict[str, Any] = {"request": request, "link": settings.PORTICO_BASE_URL + link}
    mail.send_templated(f"products/email/{template}", context, [request.user.email])


def access_approved(*, request_id: int) -> None:
    product = AccessRequest.objects.values_list("product__name", flat=True).get(pk=request_id)
    _send("access_approved", request_id, reverse("portal:product", args=[product]))


def access_rejected(*, request_id: int) -> None:
    _send("access_rejected", request_id, reverse("portal:profile"))

"""Email to developers about their requests for access, sent through portal.mail.send_later.

The administrators hear of new requests from the approvals inbox's digest
(portal.approvals.announce), not one email per request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from products.models import AccessRequest


def _send(template: str, request_id: int, link: str) -> None:
    request = AccessRequest.objects.select_related("user", "product", "group").get(pk=request_id)
    context: dict[str, Any] = {"request": request, "link": settings.PORTICO_BASE_URL + link}
    subject = render_to_string(f"products/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"products/email/{template}.txt", context)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[request.user.email])


def access_approved(*, request_id: int) -> None:
    product = AccessRequest.objects.values_list("product__name", flat=True).get(pk=request_id)
    _send("access_approved", request_id, reverse("portal:product", args=[product]))


def access_rejected(*, request_id: int) -> None:
    _send("access_rejected", request_id, reverse("portal:profile"))

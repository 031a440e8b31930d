"""Email about requests to join a group, sent through portal.mail.send_later."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from groups.models import GroupRequest
from portal import mail


def _request(request_id: int) -> GroupRequest:
    return GroupRequest.objects.select_related("user", "group").get(pk=request_id)


def _to_developer(template: str, request_id: int) -> None:
    request = _request(request_id)
    link = settings.PORTICO_BASE_URL + reverse("portal:profile")
    mail.send_templated(
        f"groups/email/{template}", {"request": request, "link": link}, [request.user.email]
    )


def request_approved(*, request_id: int) -> None:
    _to_developer("request_approved", request_id)


def request_rejected(*, request_id: int) -> None:
    _to_developer("request_rejected", request_id)

"""Email about requests to join a group, sent through portal.mail.send_later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from groups.models import GroupRequest


def _send(template: str, context: dict[str, Any], recipients: list[str]) -> None:
    if not recipients:
        return
    subject = render_to_string(f"groups/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"groups/email/{template}.txt", context)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)


def _request(request_id: int) -> GroupRequest:
    return GroupRequest.objects.select_related("user", "group").get(pk=request_id)


def _to_developer(template: str, request_id: int) -> None:
    request = _request(request_id)
    link = settings.PORTICO_BASE_URL + reverse("portal:profile")
    _send(template, {"request": request, "link": link}, [request.user.email])


def request_approved(*, request_id: int) -> None:
    _to_developer("request_approved", request_id)


def request_rejected(*, request_id: int) -> None:
    _to_developer("request_rejected", request_id)

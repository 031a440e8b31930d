"""What an administrator does for a person through Azure's user operations beyond the
entity: list how they sign in, hand them a one-time sign-in link or a shared access
token, send them the password email."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from management_api import serializers
from management_api.azure import api_view, json_response, read_json
from management_api.errors import ApiError, not_found
from portal import mail, user_tokens
from portal.models import User
from portal.views.account import send_password_reset

APP_TYPES = {"portal": "portal", "developerportal": "developerPortal"}


def _person(user_id: str) -> User:
    person = User.objects.filter(api_id=user_id).first()
    if person is None:
        raise not_found(f"User '{user_id}'")
    return person


def _invalid(target: str, message: str) -> ApiError:
    return ApiError(
        400,
        "ValidationError",
        message,
        [{"code": "ValidationError", "target": target, "message": message}],
    )


def _must_be_active(person: User, what: str) -> None:
    if person.state != User.State.ACTIVE:
        raise _invalid(
            "state", f"User '{person.api_id}' is {person.state}: {what} only an active account."
        )


@api_view({"GET"})
def user_identities(request: HttpRequest, user_id: str) -> HttpResponse:
    """How the person signs in (Azure's User Identities - List)."""
    identities = serializers.identities(_person(user_id))
    return json_response({"value": identities, "count": len(identities), "nextLink": None})


@api_view({"POST"})
def user_sso_url(request: HttpRequest, user_id: str) -> HttpResponse:
    """A one-time link that signs the person in to the developer portal (generateSsoUrl)."""
    person = _person(user_id)
    _must_be_active(person, "a sign-in link is for")
    if person.is_superuser or person.is_staff:
        raise ApiError(
            400,
            "ValidationError",
            f"User '{user_id}' has the console or the Django admin; a sign-in link is only "
            "for a developer, who has neither.",
        )
    response = json_response({"value": user_tokens.sign_in_url(user=person)})
    response["Cache-Control"] = "no-store"
    return response


def _expiry(properties: dict[str, Any]) -> datetime:
    raw = properties.get("expiry")
    if raw is None or raw == "":
        raise _invalid("expiry", "'expiry' is required: when the token stops working.")
    if not isinstance(raw, str):
        raise _invalid("expiry", "'expiry' must be a date and time, as ISO 8601 text.")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _invalid(
            "expiry", "'expiry' must be a date and time such as 2030-01-31T12:00:00Z."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = timezone.now()
    if moment <= now:
        raise _invalid("expiry", "'expiry' must be in the future.")
    if moment - now > user_tokens.MAX_TOKEN_LIFE:
        raise _invalid("expiry", "'expiry' can be at most 30 days from now.")
    return moment


@api_view({"POST"})
def user_token(request: HttpRequest, user_id: str) -> HttpResponse:
    """A shared access token for the person, in Azure's format (Get Shared Access Token)."""
    person = _person(user_id)
    properties = read_json(request)
    key_type = properties.get("keyType")
    if key_type not in user_tokens.KEY_TYPES:
        raise _invalid("keyType", "'keyType' is required: primary or secondary.")
    expiry = _expiry(properties)
    _must_be_active(person, "a token is for")
    token = user_tokens.shared_access_token(user=person, key_type=key_type, expiry=expiry)
    response = json_response({"value": token})
    response["Cache-Control"] = "no-store"
    return response


@api_view({"POST"})
def user_password_email(request: HttpRequest, user_id: str) -> HttpResponse:
    """Email the person a link to choose a password (Send Password Confirmation)."""
    person = _person(user_id)
    app_type = request.GET.get("appType")
    if app_type is not None and app_type.lower() not in APP_TYPES:
        raise _invalid("appType", "'appType' is portal or developerPortal.")
    _must_be_active(person, "the password email goes to")
    mail.send_later(send_password_reset, email=person.email)
    return HttpResponse(status=204)

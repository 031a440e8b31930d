"""management_api.views.user_actions: a user's identities, a one-time sign-in link, a
shared access token and the password email, each refused to whoever may not ask."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from portal import user_tokens
from portal.models import User
from tests.management_api.helpers import assert_azure_error, url

OPERATIONS = [
    ("get", "identities"),
    ("post", "generateSsoUrl"),
    ("post", "token"),
    ("post", "confirmations/password/send"),
]


def in_days(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def token_body(**properties: object) -> str:
    return json.dumps({"properties": {"keyType": "primary", "expiry": in_days(1)} | properties})


def send(client, method, path, headers, data=""):
    if method == "get":
        return client.get(url(path), **headers)
    return getattr(client, method)(url(path), data, "application/json", **headers)


# --- Who may ask ----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "action"), OPERATIONS)
@pytest.mark.parametrize(
    "header",
    [None, "Bearer nonsense", "Basic cm9vdDpwYXNzd29yZA=="],
    ids=["no-token", "unknown-token", "another-scheme"],
)
def test_without_a_token_each_action_is_401_and_sends_nothing(
    client, developer, mailoutbox, method, action, header
):
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = send(client, method, f"users/{developer.api_id}/{action}", headers, token_body())
    assert_azure_error(response, 401, "AuthenticationFailed")
    assert mailoutbox == []


@pytest.mark.parametrize(("method", "action"), OPERATIONS)
@pytest.mark.parametrize("changes", ["expired", "revoked"])
def test_an_expired_or_revoked_token_is_401(
    client, administrator, developer, bearer_for, method, action, changes
):
    moment = timezone.now() - timedelta(seconds=1)
    field = {"expired": "expires_at", "revoked": "revoked_at"}[changes]
    headers = bearer_for(administrator, **{field: moment})
    response = send(client, method, f"users/{developer.api_id}/{action}", headers, token_body())
    assert_azure_error(response, 401, "AuthenticationFailed")


@pytest.mark.parametrize(("method", "action"), OPERATIONS)
@pytest.mark.parametrize("who", ["developer", "support_staff", "blocked_user"])
def test_someone_not_an_administrator_is_403(
    client,
    request,
    outsider,
    bearer_for,
    mailoutbox,
    django_capture_on_commit_callbacks,
    method,
    action,
    who,
):
    headers = bearer_for(request.getfixturevalue(who))
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, method, f"users/{outsider.api_id}/{action}", headers, token_body())
    assert_azure_error(response, 403, "AuthorizationFailed")
    assert mailoutbox == []


@pytest.mark.parametrize(("method", "action"), OPERATIONS)
def test_an_unknown_user_is_404(client, bearer, method, action):
    response = send(client, method, f"users/nobody/{action}", bearer, token_body())
    error = assert_azure_error(response, 404, "ResourceNotFound")
    assert "nobody" in error["message"]


@pytest.mark.parametrize(("method", "action"), OPERATIONS)
def test_another_method_is_405(client, bearer, developer, method, action):
    other = "post" if method == "get" else "get"
    response = send(client, other, f"users/{developer.api_id}/{action}", bearer)
    assert_azure_error(response, 405)


# --- Identities -----------------------------------------------------------------------


def test_identities_of_an_account_with_a_password_are_basic_by_email(api, developer):
    response = api.get(f"users/{developer.api_id}/identities")
    assert response.status_code == 200
    assert response.json() == {
        "value": [{"provider": "Basic", "id": "dev@example.com"}],
        "count": 1,
        "nextLink": None,
    }


def test_identities_of_an_invited_account_without_a_password_are_none(api, make_user):
    invited = make_user(password=None)
    assert api.get(f"users/{invited.api_id}/identities").json()["value"] == []


# --- Sign-in links --------------------------------------------------------------------


def test_sso_url_is_a_link_to_the_portals_sign_in_page(api, developer):
    response = api.post(f"users/{developer.api_id}/generateSsoUrl")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    link = urlsplit(response.json()["value"])
    assert f"{link.scheme}://{link.netloc}" == settings.PORTICO_BASE_URL
    assert link.path == reverse("portal:signin_sso")
    token = parse_qs(link.query)["token"][0]
    assert token.split("&")[0] == developer.api_id
    assert user_tokens.read_sign_in_token(token).user == developer


@pytest.mark.parametrize("who", ["blocked_user", "pending_user", "support_staff", "administrator"])
def test_sso_url_is_refused_for_an_account_that_may_not_have_one(api, request, who):
    person = request.getfixturevalue(who)
    response = api.post(f"users/{person.api_id}/generateSsoUrl")
    assert_azure_error(response, 400, "ValidationError")


# --- Shared access tokens -------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["primary", "secondary"])
def test_token_is_in_azures_format_and_checks_out(client, bearer, developer, key_type):
    expiry = timezone.now() + timedelta(days=2)
    sent = expiry.isoformat().replace("+00:00", "Z")
    response = send(
        client,
        "post",
        f"users/{developer.api_id}/token",
        bearer,
        token_body(keyType=key_type, expiry=sent),
    )
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    value = response.json()["value"]
    api_id, minute, signature = value.split("&")
    assert api_id == developer.api_id
    assert minute == expiry.astimezone(UTC).strftime("%Y%m%d%H%M")
    assert signature.endswith("==")  # 64 bytes of HMAC-SHA512, base64
    assert user_tokens.check_shared_access_token(value) == developer


def test_the_two_key_types_sign_differently(client, bearer, developer):
    expiry = in_days(1)
    values = [
        send(
            client,
            "post",
            f"users/{developer.api_id}/token",
            bearer,
            token_body(keyType=key_type, expiry=expiry),
        ).json()["value"]
        for key_type in ("primary", "secondary")
    ]
    assert values[0] != values[1]
    assert values[0].rsplit("&", 1)[0] == values[1].rsplit("&", 1)[0]


@pytest.mark.parametrize(
    ("properties", "target"),
    [
        ({"keyType": None}, "keyType"),
        ({"keyType": "tertiary"}, "keyType"),
        ({"keyType": ["primary"]}, "keyType"),
        ({"expiry": None}, "expiry"),
        ({"expiry": "tomorrow"}, "expiry"),
        ({"expiry": 1893456000}, "expiry"),
        ({"expiry": "2019-04-21T00:44:24.2845269Z"}, "expiry"),
        ({"expiry": "__past__"}, "expiry"),
        ({"expiry": "__far__"}, "expiry"),
    ],
)
def test_token_with_a_bad_property_is_400_naming_it(client, bearer, developer, properties, target):
    if properties.get("expiry") == "__past__":
        properties = {"expiry": in_days(-0.01)}
    if properties.get("expiry") == "__far__":
        properties = {"expiry": in_days(31)}
    response = send(
        client, "post", f"users/{developer.api_id}/token", bearer, token_body(**properties)
    )
    error = assert_azure_error(response, 400, "ValidationError")
    assert error["details"][0]["target"] == target
    assert target in error["message"]


def test_token_expiry_without_an_offset_is_utc(client, bearer, developer):
    expiry = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=3)
    response = send(
        client,
        "post",
        f"users/{developer.api_id}/token",
        bearer,
        token_body(expiry=expiry.isoformat()),
    )
    assert response.json()["value"].split("&")[1] == expiry.strftime("%Y%m%d%H%M")


def test_token_for_a_blocked_account_is_400(client, bearer, blocked_user):
    response = send(client, "post", f"users/{blocked_user.api_id}/token", bearer, token_body())
    error = assert_azure_error(response, 400, "ValidationError")
    assert error["details"][0]["target"] == "state"


# --- The password email ---------------------------------------------------------------


@pytest.mark.parametrize("query", [{}, {"appType": "portal"}, {"appType": "developerPortal"}])
def test_password_email_sends_the_set_password_link(
    client, bearer, developer, mailoutbox, django_capture_on_commit_callbacks, query
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(f"users/{developer.api_id}/confirmations/password/send", **query), **bearer
        )
    assert response.status_code == 204, response.content
    assert response.content == b""
    [email] = mailoutbox
    assert email.to == ["dev@example.com"]
    assert "/password/set/" in email.body


def test_password_email_goes_to_an_invited_account_without_a_password(
    client, bearer, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    invited = make_user(password=None, email="new@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(f"users/{invited.api_id}/confirmations/password/send"), **bearer)
    assert response.status_code == 204
    assert [email.to for email in mailoutbox] == [["new@example.com"]]


def test_password_email_with_an_unknown_app_type_is_400(
    client, bearer, developer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(f"users/{developer.api_id}/confirmations/password/send", appType="mobile"),
            **bearer,
        )
    error = assert_azure_error(response, 400, "ValidationError")
    assert error["details"][0]["target"] == "appType"
    assert mailoutbox == []


@pytest.mark.parametrize("who", ["blocked_user", "pending_user"])
def test_password_email_to_an_account_that_cannot_sign_in_is_400(
    client, bearer, request, mailoutbox, django_capture_on_commit_callbacks, who
):
    person: User = request.getfixturevalue(who)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(f"users/{person.api_id}/confirmations/password/send"), **bearer)
    assert_azure_error(response, 400, "ValidationError")
    assert mailoutbox == []

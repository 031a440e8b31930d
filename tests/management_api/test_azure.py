"""management_api.azure: what every operation of the management API shares: the bearer token, the
service path and api-version, entity tags, request bodies and HEAD."""

from __future__ import annotations

from datetime import timedelta
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.utils import timezone

from groups import services as group_services
from groups.models import Group
from management_api.azure import MAX_JSON_DEPTH
from management_api.services import issue_token
from portal.models import User
from products import services as product_services
from subscriptions import services as subscription_services
from tests.management_api.helpers import (
    SERVICE,
    SYSTEM_GROUPS,
    assert_azure_error,
    body,
    call_api,
    url,
)

# Authentication


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer nonsense",
        "Bearer ",
        "Basic cm9vdDpwYXNzd29yZA==",
        "nonsense",
    ],
)
def test_missing_or_unknown_token_is_401(client, administrator, header):
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get(url("groups"), **headers)
    assert_azure_error(response, 401, "AuthenticationFailed")


def test_token_sent_with_another_scheme_is_401(client, administrator):
    _, clear = issue_token(user=administrator, name="tests", days=1)
    response = client.get(url("groups"), HTTP_AUTHORIZATION=f"Token {clear}")
    assert_azure_error(response, 401, "AuthenticationFailed")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"revoked_at": timezone.now()}, id="revoked"),
        pytest.param({"expires_at": timezone.now() - timedelta(seconds=1)}, id="expired"),
    ],
)
def test_revoked_or_expired_token_is_401(client, administrator, changes, bearer_for):
    response = client.get(url("groups"), **bearer_for(administrator, **changes))
    assert_azure_error(response, 401, "AuthenticationFailed")


@pytest.mark.parametrize("who", ["developer", "support_staff", "blocked_administrator"])
def test_token_of_someone_who_is_not_an_active_administrator_is_403(
    client, request, make_user, who, bearer_for
):
    if who == "blocked_administrator":
        user = make_user(is_superuser=True, is_staff=True, state=User.State.BLOCKED)
    else:
        user = request.getfixturevalue(who)
    response = client.get(url("groups"), **bearer_for(user))
    assert_azure_error(response, 403, "AuthorizationFailed")


def test_refused_token_writes_nothing(client, developer, bearer_for):
    response = client.put(
        url("groups/partners"),
        body(displayName="Partners"),
        content_type="application/json",
        **bearer_for(developer),
    )
    assert_azure_error(response, 403)
    assert not Group.objects.filter(name="partners").exists()


def test_session_authentication_alone_is_401(client, administrator):
    client.force_login(administrator)
    response = client.get(url("groups"))
    assert_azure_error(response, 401, "AuthenticationFailed")


def test_csrf_does_not_apply_to_bearer_requests(administrator, bearer):
    client = Client(enforce_csrf_checks=True)
    # A session cookie too: that is when Django's CSRF check would bite.
    client.force_login(administrator)
    response = client.put(
        url("groups/partners"),
        body(displayName="Partners"),
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 201
    assert Group.objects.filter(name="partners").exists()


def test_last_used_at_is_set_by_a_call(client, administrator):
    token, clear = issue_token(user=administrator, name="CI", days=1)
    assert token.last_used_at is None
    before = timezone.now()
    assert call_api(client, clear).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert before <= token.last_used_at <= timezone.now()


def test_refused_call_does_not_mark_a_token_used(client, developer):
    token, clear = issue_token(user=developer, name="CI", days=1)
    assert call_api(client, clear).status_code == 403
    token.refresh_from_db()
    assert token.last_used_at is None


# The service path and api-version


@pytest.mark.parametrize(
    "base",
    [
        pytest.param(
            SERVICE.replace(settings.PORTICO_AZURE_SUBSCRIPTION_ID, "11111111-2222"),
            id="subscription",
        ),
        pytest.param(
            SERVICE.replace(
                f"resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}",
                "resourceGroups/elsewhere",
            ),
            id="resource-group",
        ),
        pytest.param(
            SERVICE.replace(
                f"service/{settings.PORTICO_AZURE_SERVICE_NAME}", "service/another-service"
            ),
            id="service",
        ),
    ],
)
def test_another_service_path_is_404(client, bearer, base):
    response = client.get(url("groups", base=base), **bearer)
    assert_azure_error(response, 404, "ResourceNotFound")


def test_missing_api_version_is_400(client, bearer):
    response = client.get(f"{SERVICE}/groups", **bearer)
    assert_azure_error(response, 400, "MissingApiVersionParameter")


@pytest.mark.parametrize("version", ["2099-01-01", "latest", "2024-05-01x"])
def test_unknown_api_version_is_400(client, bearer, version):
    response = client.get(f"{SERVICE}/groups?api-version={version}", **bearer)
    error = assert_azure_error(response, 400, "InvalidApiVersionParameter")
    assert "2024-05-01" in error["message"]


@pytest.mark.parametrize("path", ["apiVersionSets", "groups/partners/extra", "namedValues/x"])
def test_operation_portico_does_not_serve_is_404_in_azures_shape(client, bearer, path):
    response = client.get(url(path), **bearer)
    assert_azure_error(response, 404)


def test_method_not_allowed_is_405_in_azures_shape(client, bearer):
    response = client.post(url("groups"), body(displayName="X"), "application/json", **bearer)
    assert_azure_error(response, 405, "MethodNotAllowed")
    assert Group.objects.count() == len(SYSTEM_GROUPS)


# Entity tags


def _make_entity(kind: str, make_user, administrator) -> tuple[str, object]:
    """Something of each kind; returns its API path and the object."""
    if kind == "group":
        group = group_services.create_group(name="partners", display_name="Partners")
        return "groups/partners", group
    if kind == "product":
        product = product_services.create_product(name="logistics", display_name="Logistics")
        return "products/logistics", product
    if kind == "user":
        user = make_user(first_name="Una")
        return f"users/{user.api_id}", user
    product = product_services.create_product(name="logistics", display_name="Logistics")
    subscription = subscription_services.create_subscription(
        sid="standalone",
        owner=None,
        product=product,
        display_name="Standalone",
        actor=administrator,
        state="submitted",
    )
    return "subscriptions/standalone", subscription


RENAME = {
    "group": ("displayName", "display_name"),
    "product": ("displayName", "display_name"),
    "user": ("firstName", "first_name"),
    "subscription": ("displayName", "display_name"),
}


KINDS = list(RENAME)


@pytest.mark.parametrize("kind", KINDS)
def test_stale_if_match_is_412_and_changes_nothing(client, bearer, make_user, administrator, kind):
    path, entity = _make_entity(kind, make_user, administrator)
    azure_name, field = RENAME[kind]
    stale = client.get(url(path), **bearer)["ETag"]
    first = client.patch(
        url(path), body(**{azure_name: "First"}), "application/json", HTTP_IF_MATCH=stale, **bearer
    )
    assert first.status_code == 200
    assert first["ETag"] != stale

    patched = client.patch(
        url(path), body(**{azure_name: "Second"}), "application/json", HTTP_IF_MATCH=stale, **bearer
    )
    assert_azure_error(patched, 412, "PreconditionFailed")
    deleted = client.delete(url(path), HTTP_IF_MATCH=stale, **bearer)
    assert_azure_error(deleted, 412, "PreconditionFailed")

    entity.refresh_from_db()
    assert getattr(entity, field) == "First"
    assert client.get(url(path), **bearer)["ETag"] == first["ETag"]


@pytest.mark.parametrize("kind", KINDS)
def test_patch_and_delete_without_if_match_are_400(client, bearer, make_user, administrator, kind):
    path, entity = _make_entity(kind, make_user, administrator)
    azure_name, field = RENAME[kind]
    before = getattr(entity, field)
    patched = client.patch(url(path), body(**{azure_name: "Changed"}), "application/json", **bearer)
    assert_azure_error(patched, 400, "ValidationError")
    deleted = client.delete(url(path), **bearer)
    assert_azure_error(deleted, 400, "ValidationError")
    entity.refresh_from_db()
    assert getattr(entity, field) == before


def test_stale_if_match_on_put_of_an_existing_group_is_412(client, bearer, partners):
    response = client.put(
        url("groups/partners"),
        body(displayName="Renamed"),
        "application/json",
        HTTP_IF_MATCH='"999"',
        **bearer,
    )
    assert_azure_error(response, 412, "PreconditionFailed")
    partners.refresh_from_db()
    assert partners.display_name == "Partners"


def test_if_match_that_names_no_version_is_412(client, bearer, partners):
    response = client.patch(
        url("groups/partners"),
        body(displayName="Renamed"),
        "application/json",
        HTTP_IF_MATCH='"not-a-version"',
        **bearer,
    )
    assert_azure_error(response, 412, "PreconditionFailed")
    partners.refresh_from_db()
    assert partners.display_name == "Partners"


# Bodies


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"properties": {"displayName": ', id="truncated"),
        pytest.param(b"displayName=Partners", id="form-encoded"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param(b'[{"properties": {"displayName": "Partners"}}]', id="array"),
        pytest.param(b'"Partners"', id="string"),
        pytest.param(b'{"properties": ["displayName"]}', id="properties-not-object"),
    ],
)
def test_body_that_is_not_a_json_object_is_400(client, bearer, raw):
    response = client.put(url("groups/partners"), raw, "application/json", **bearer)
    assert_azure_error(response, 400, "ValidationError")
    assert not Group.objects.filter(name="partners").exists()


def test_malformed_json_on_patch_is_400_and_changes_nothing(client, bearer, partners):
    response = client.patch(
        url("groups/partners"), b"{not json", "application/json", HTTP_IF_MATCH="*", **bearer
    )
    assert_azure_error(response, 400, "ValidationError")
    partners.refresh_from_db()
    assert partners.version == 1


def test_oversized_body_is_413(client, bearer):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.put(
        url("groups/partners"),
        body(displayName="Partners", description=padding),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 413)
    assert not Group.objects.filter(name="partners").exists()


def nested_body(depth: int, where: str) -> bytes:
    """A new group's body whose objects and arrays nest `depth` levels deep, counting the body.

    "tags" is a top-level member Portico ignores; "property" is an unknown
    property, which Portico refuses.
    """
    inner = depth - {"tags": 1, "property": 2}[where]
    value = b"[" * inner + b'"x"' + b"]" * inner
    if where == "tags":
        return b'{"properties": {"displayName": "Deep"}, "tags": %s}' % value
    return b'{"properties": {"displayName": "Deep", "extra": %s}}' % value


@pytest.mark.parametrize("depth", [100_000, MAX_JSON_DEPTH + 1])
def test_body_nested_too_deep_is_400_and_creates_nothing(client, bearer, depth):
    response = client.put(
        url("groups/deep"), nested_body(depth, "tags"), "application/json", **bearer
    )
    error = assert_azure_error(response, 400, "ValidationError")
    assert str(MAX_JSON_DEPTH) in error["message"]
    assert not Group.objects.filter(name="deep").exists()


def test_patch_nested_too_deep_is_400_and_changes_nothing(client, bearer, partners):
    response = client.patch(
        url("groups/partners"),
        nested_body(100_000, "tags"),
        "application/json",
        HTTP_IF_MATCH="*",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    partners.refresh_from_db()
    assert (partners.display_name, partners.version) == ("Partners", 1)


@pytest.mark.parametrize(("where", "status"), [("tags", 201), ("property", 400)])
@pytest.mark.parametrize("depth", [10, MAX_JSON_DEPTH])
def test_body_nested_within_the_limit_gets_the_usual_answer(client, bearer, where, status, depth):
    """As deep as the limit, nesting changes nothing: ignored is ignored, unknown refused."""
    response = client.put(
        url("groups/deep"), nested_body(depth, where), "application/json", **bearer
    )
    assert response.status_code == status
    if status == 400:
        error = assert_azure_error(response, 400, "ValidationError")
        assert error["message"] == "Unknown properties: extra."
    assert Group.objects.filter(name="deep").exists() == (status == 201)


# HEAD


def raw_wsgi_head(path: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    """A HEAD straight through Django's WSGI handler.

    The test client empties HEAD bodies as web servers do, so it can't show
    what the application itself sends. Needs the in_process fixture: Django
    would close the test's connection between requests otherwise.
    """
    path, _, query = path.partition("?")
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD="HEAD",
        PATH_INFO=path,
        QUERY_STRING=query,
        HTTP_HOST="testserver",
        SERVER_NAME="testserver",
        **headers,
    )
    started: list = []
    result = WSGIHandler()(
        environ, lambda status, headers, exc_info=None: started.append((status, dict(headers)))
    )
    try:
        content = b"".join(result)
    finally:
        result.close()
    status, response_headers = started[0]
    return status, response_headers, content


@pytest.mark.parametrize(
    ("path", "status"),
    [("groups/partners", "200 OK"), ("groups/developers/users/{developer}", "204 No Content")],
)
def test_head_sends_no_body(bearer, partners, developer, in_process, path, status):
    sent_status, headers, content = raw_wsgi_head(
        url(path.format(developer=developer.api_id)), bearer
    )
    assert sent_status == status
    assert content == b""
    if status == "200 OK":
        assert headers["ETag"] == f'"{partners.version}"'

"""What the management API refuses, and that each refusal is in Azure's error shape."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from api.models import AccessToken
from groups import services as group_services
from groups.models import Group, Membership
from portal.models import User
from products import services as product_services
from products.models import Product, ProductGroup
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

API_VERSION = "2024-05-01"
SERVICE = (
    f"/subscriptions/{settings.PORTICO_AZURE_SUBSCRIPTION_ID}"
    f"/resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}"
    f"/providers/Microsoft.ApiManagement/service/{settings.PORTICO_AZURE_SERVICE_NAME}"
)
SYSTEM_GROUPS = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


def url(path: str, base: str = SERVICE, **query: str) -> str:
    return f"{base}/{path}?{urlencode({'api-version': API_VERSION, **query})}"


def body(**properties: object) -> str:
    return json.dumps({"properties": properties})


def bearer_for(user: User, **changes: object) -> dict[str, str]:
    token, clear = AccessToken.issue(user=user, name="tests", days=1)
    if changes:
        AccessToken.objects.filter(pk=token.pk).update(**changes)
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def assert_azure_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def bearer(administrator):
    return bearer_for(administrator)


@pytest.fixture
def partners(db):
    return group_services.create_group(name="partners", display_name="Partners")


@pytest.fixture
def product(db):
    return product_services.create_product(name="logistics", display_name="Logistics")


# --- Authentication -----------------------------------------------------------


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
    _, clear = AccessToken.issue(user=administrator, name="tests", days=1)
    response = client.get(url("groups"), HTTP_AUTHORIZATION=f"Token {clear}")
    assert_azure_error(response, 401, "AuthenticationFailed")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"revoked_at": timezone.now()}, id="revoked"),
        pytest.param({"expires_at": timezone.now() - timedelta(seconds=1)}, id="expired"),
    ],
)
def test_revoked_or_expired_token_is_401(client, administrator, changes):
    response = client.get(url("groups"), **bearer_for(administrator, **changes))
    assert_azure_error(response, 401, "AuthenticationFailed")


@pytest.mark.parametrize("who", ["developer", "support_staff", "blocked_administrator"])
def test_token_of_someone_who_is_not_an_active_administrator_is_403(
    client, request, make_user, who
):
    if who == "blocked_administrator":
        user = make_user(is_superuser=True, is_staff=True, state=User.State.BLOCKED)
    else:
        user = request.getfixturevalue(who)
    response = client.get(url("groups"), **bearer_for(user))
    assert_azure_error(response, 403, "AuthorizationFailed")


def test_refused_token_writes_nothing(client, developer):
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


# --- The service path and api-version ---------------------------------------


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


@pytest.mark.parametrize("path", ["apis", "groups/partners/extra", "namedValues/x"])
def test_operation_portico_does_not_serve_is_404_in_azures_shape(client, bearer, path):
    response = client.get(url(path), **bearer)
    assert_azure_error(response, 404)


def test_method_not_allowed_is_405_in_azures_shape(client, bearer):
    response = client.post(url("groups"), body(displayName="X"), "application/json", **bearer)
    assert_azure_error(response, 405, "MethodNotAllowed")
    assert Group.objects.count() == len(SYSTEM_GROUPS)


# --- Entity tags ------------------------------------------------------------


def _make_entity(kind: str, make_user) -> tuple[str, object]:
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
        sid="standalone", owner=None, product=product, display_name="Standalone"
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
def test_stale_if_match_is_412_and_changes_nothing(client, bearer, make_user, kind):
    path, entity = _make_entity(kind, make_user)
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
def test_patch_and_delete_without_if_match_are_400(client, bearer, make_user, kind):
    path, entity = _make_entity(kind, make_user)
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


# --- System groups and Administrators' access ---------------------------------


def _system_group_state(name: str) -> tuple:
    group = Group.objects.get(name=name)
    return (group.display_name, group.description, group.version, group.type)


@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_put_patch_delete_are_400_and_change_nothing(client, bearer, name):
    before = _system_group_state(name)
    put = client.put(
        url(f"groups/{name}"), body(displayName="Renamed"), "application/json", **bearer
    )
    assert_azure_error(put, 400, "ValidationError")
    patch = client.patch(
        url(f"groups/{name}"),
        body(description="Changed"),
        "application/json",
        HTTP_IF_MATCH="*",
        **bearer,
    )
    assert_azure_error(patch, 400, "ValidationError")
    delete = client.delete(url(f"groups/{name}"), HTTP_IF_MATCH="*", **bearer)
    assert_azure_error(delete, 400, "ValidationError")
    assert _system_group_state(name) == before


@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_members_cannot_be_added_or_removed(client, bearer, developer, name):
    added = client.put(url(f"groups/{name}/users/{developer.api_id}"), **bearer)
    assert_azure_error(added, 400, "ValidationError")
    removed = client.delete(url(f"groups/{name}/users/{developer.api_id}"), **bearer)
    assert_azure_error(removed, 400, "ValidationError")
    assert not Membership.objects.exists()


def test_creating_a_group_of_type_system_is_400(client, bearer):
    response = client.put(
        url("groups/admins2"),
        body(displayName="Admins 2", type="system"),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not Group.objects.filter(name="admins2").exists()


def test_removing_administrators_from_a_product_is_400(client, bearer, product):
    response = client.delete(url("products/logistics/groups/administrators"), **bearer)
    assert_azure_error(response, 400, "ValidationError")
    assert ProductGroup.objects.filter(product=product, group__name="administrators").exists()


# --- Bodies -------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("path", "properties"),
    [
        ("groups/partners", {"displayName": "Partners", "colour": "red"}),
        ("products/logistics", {"displayName": "Logistics", "visibility": "everyone"}),
        (
            "users/una",
            {"email": "una@example.com", "firstName": "Una", "lastName": "U", "isAdmin": True},
        ),
    ],
)
def test_unknown_property_is_400_and_creates_nothing(client, bearer, path, properties):
    response = client.put(url(path), body(**properties), "application/json", **bearer)
    error = assert_azure_error(response, 400, "ValidationError")
    unknown = (set(properties) - {"displayName", "email", "firstName", "lastName"}).pop()
    assert unknown in error["message"]
    assert not Group.objects.filter(name="partners").exists()
    assert not Product.objects.exists()
    assert not User.objects.filter(email="una@example.com").exists()


def test_unknown_property_on_patch_is_400_and_changes_nothing(client, bearer, partners):
    response = client.patch(
        url("groups/partners"),
        body(displayName="Renamed", colour="red"),
        "application/json",
        HTTP_IF_MATCH="*",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    partners.refresh_from_db()
    assert partners.display_name == "Partners"


@pytest.mark.parametrize(
    ("path", "properties", "target"),
    [
        ("groups/partners", {}, "displayName"),
        ("groups/partners", {"displayName": "x" * 301}, "displayName"),
        ("groups/new", {"displayName": "New"}, "name"),
        ("products/logistics", {"displayName": "Logistics", "state": "live"}, "state"),
        ("products/logistics", {"displayName": "Logistics", "subscriptionsLimit": 0}, None),
        (
            "users/una",
            {"email": "not-an-email", "firstName": "Una", "lastName": "U"},
            "email",
        ),
    ],
)
def test_invalid_values_are_400_naming_the_property(client, bearer, path, properties, target):
    response = client.put(url(path), body(**properties), "application/json", **bearer)
    error = assert_azure_error(response, 400, "ValidationError")
    if target is not None:
        assert target in {detail.get("target") for detail in error["details"]}
    assert Group.objects.count() == len(SYSTEM_GROUPS)
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "query",
    [{"$top": "0"}, {"$top": "ten"}, {"$skip": "-1"}, {"$top": "²"}],
)
def test_invalid_paging_is_400(client, bearer, query):
    response = client.get(url("groups", **query), **bearer)
    assert_azure_error(response, 400, "ValidationError")


def test_unknown_subscription_state_on_create_is_400(client, bearer, product):
    response = client.put(
        url("subscriptions/standalone"),
        body(scope="/products/logistics", displayName="Standalone", state="cancelled"),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not Subscription.objects.exists()


# --- Values the application must refuse cleanly, never with a 500 ----------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_number_too_big_for_an_integer_is_400(client, bearer, product, method):
    # 1e400 is a valid JSON number; Python reads it as float infinity.
    raw = b'{"properties": {"displayName": "Logistics", "subscriptionsLimit": 1e400}}'
    response = getattr(client, method)(
        url("products/logistics"), raw, "application/json", HTTP_IF_MATCH="*", **bearer
    )
    assert_azure_error(response, 400, "ValidationError")
    product.refresh_from_db()
    assert product.subscriptions_limit is None


def test_nul_character_in_a_value_is_refused_or_kept(client, bearer):
    response = client.put(
        url("groups/partners"), body(displayName="Part\x00ners"), "application/json", **bearer
    )
    if response.status_code == 400:
        assert_azure_error(response, 400, "ValidationError")
        assert not Group.objects.filter(name="partners").exists()
    else:
        assert response.status_code == 201
        fetched = client.get(url("groups/partners"), **bearer)
        assert fetched.json()["properties"]["displayName"] == "Part\x00ners"


@pytest.mark.parametrize("path", ["groups/a%00b", "users/a%00b", "subscriptions/a%00b"])
def test_nul_character_in_an_id_is_404(client, bearer, path):
    response = client.get(url(path), **bearer)
    assert_azure_error(response, 404, "ResourceNotFound")


def test_nul_character_in_a_filter_finds_nothing_or_is_400(client, bearer):
    response = client.get(url("groups", **{"$filter": "name eq 'a\x00'"}), **bearer)
    if response.status_code == 400:
        assert_azure_error(response, 400, "ValidationError")
    else:
        assert response.status_code == 200
        assert response.json()["value"] == []


def test_external_group_without_external_id_is_400(client, bearer):
    response = client.put(
        url("groups/entra"),
        body(displayName="Entra", type="external"),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not Group.objects.filter(name="entra").exists()


def test_user_created_with_an_unknown_state_is_400(client, bearer):
    response = client.put(
        url("users/una"),
        body(email="una@example.com", firstName="Una", lastName="Uno", state="bogus"),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not User.objects.filter(api_id="una").exists()


@pytest.mark.parametrize("state", ["bogus", "pending", "deleted"])
def test_user_state_change_is_applied_or_refused_never_ignored(client, bearer, developer, state):
    response = client.patch(
        url(f"users/{developer.api_id}"),
        body(state=state),
        "application/json",
        HTTP_IF_MATCH="*",
        **bearer,
    )
    developer.refresh_from_db()
    if response.status_code == 400:
        assert_azure_error(response, 400, "ValidationError")
        assert developer.state == User.State.ACTIVE
    else:
        assert response.status_code in (200, 204)
        assert response.json()["properties"]["state"] == state
        assert developer.state == state


@pytest.mark.parametrize(
    "query",
    [
        {"$skip": str(2**63)},
        {"$skip": str(2**63 - 1)},
        {"$skip": "1740370464697846297184436224", "$top": "4873779006"},
        {"$top": str(10**30)},
    ],
)
def test_huge_paging_numbers_give_a_page_or_400(client, bearer, query):
    """Found by Schemathesis: an offset past the database's integer range."""
    response = client.get(url("users", **query), **bearer)
    if response.status_code == 400:
        assert_azure_error(response, 400, "ValidationError")
    else:
        assert response.status_code == 200
        assert response.json()["count"] == 1

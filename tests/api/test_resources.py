"""Groups, products, users and subscriptions through the management API."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

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
SYSTEM_GROUPS = ["administrators", "developers", "guests"]


def url(path: str, **query: str) -> str:
    return f"{SERVICE}/{path}?{urlencode({'api-version': API_VERSION, **query})}"


def body(**properties: object) -> str:
    return json.dumps({"properties": properties})


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["value"]]


@pytest.fixture
def bearer(administrator):
    _, clear = AccessToken.issue(user=administrator, name="tests", days=1)
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


@pytest.fixture
def api(client, bearer):
    """The test client with an administrator's token on every call."""

    class Api:
        def get(self, path: str, **query: str):
            return client.get(url(path, **query), **bearer)

        def head(self, path: str):
            return client.head(url(path), **bearer)

        def put(self, path: str, properties: dict | None = None, **headers: str):
            data = body(**properties) if properties is not None else ""
            return client.put(url(path), data, "application/json", **bearer, **headers)

        def patch(self, path: str, properties: dict, if_match: str = "*"):
            return client.patch(
                url(path), body(**properties), "application/json", HTTP_IF_MATCH=if_match, **bearer
            )

        def delete(self, path: str, if_match: str | None = "*", **query: str):
            headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
            return client.delete(url(path, **query), **bearer, **headers)

        def post(self, path: str):
            return client.post(url(path), **bearer)

    return Api()


@pytest.fixture
def make_group(db):
    def make(name: str, display_name: str, description: str = "") -> Group:
        return group_services.create_group(
            name=name, display_name=display_name, description=description
        )

    return make


@pytest.fixture
def partners(make_group):
    return make_group("partners", "Partners", "Partner companies")


@pytest.fixture
def shared_product(db):
    """A published product every developer can see and subscribe to."""
    product = product_services.create_product(
        name="logistics", display_name="Logistics", state=Product.State.PUBLISHED
    )
    developers = Group.objects.get(name=Group.DEVELOPERS)
    product_services.grant_access(product=product, groups=[developers], added_by=None)
    return product


# --- Groups: lists, $filter and paging --------------------------------------


@pytest.fixture
def catalogue(make_group):
    make_group("partners", "Partners", "Partner companies")
    make_group("part-time", "Part-time staff", "Seasonal help")
    make_group("research", "Research and Development", "Labs")
    make_group("sales", "Sales", "Partner channel")


def test_group_list_is_azures_collection(api, catalogue):
    response = api.get("groups")
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["count"] == 4 + len(SYSTEM_GROUPS)
    assert data["nextLink"] is None
    partners = next(item for item in data["value"] if item["name"] == "partners")
    assert partners == {
        "id": f"{SERVICE}/groups/partners",
        "type": "Microsoft.ApiManagement/service/groups",
        "name": "partners",
        "properties": {
            "displayName": "Partners",
            "description": "Partner companies",
            "builtIn": False,
            "type": "custom",
            "externalId": None,
        },
    }
    developers = next(item for item in data["value"] if item["name"] == "developers")
    assert developers["properties"]["builtIn"] is True
    assert developers["properties"]["type"] == "system"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("name eq 'partners'", ["partners"]),
        ("displayName eq 'Sales'", ["sales"]),
        (
            "name ne 'partners'",
            ["administrators", "developers", "guests", "part-time", "research", "sales"],
        ),
        ("startswith(displayName,'Part')", ["part-time", "partners"]),
        ("startswith(displayName, 'part')", ["part-time", "partners"]),
        ("contains(description,'partner')", ["partners", "sales"]),
        ("substringof('partner',description)", ["partners", "sales"]),
        ("endswith(name,'ners')", ["partners"]),
        ("startswith(displayName,'Part') and endswith(name,'time')", ["part-time"]),
        ("contains(description,'Partner') and name ne 'sales'", ["partners"]),
        ("name gt 'research'", ["sales"]),
        ("name eq 'nobody'", []),
    ],
)
def test_group_list_filter(api, catalogue, expression, expected):
    response = api.get("groups", **{"$filter": expression})
    assert names(response) == expected
    assert response.json()["count"] == len(expected)


def test_group_list_filter_value_may_contain_and(api, catalogue):
    """A quoted ' and ' is part of the value, not OData's conjunction."""
    response = api.get("groups", **{"$filter": "displayName eq 'Research and Development'"})
    assert names(response) == ["research"]


def test_group_list_filter_value_may_contain_a_quote(api, make_group):
    make_group("oreilly", "O'Reilly")
    response = api.get("groups", **{"$filter": "displayName eq 'O''Reilly'"})
    assert names(response) == ["oreilly"]


@pytest.mark.parametrize(
    "expression",
    [
        "name eq 'partners' or name eq 'sales'",
        "not startswith(name,'p')",
        "name eq partners",
        "length(name) eq 8",
        "secret eq 'x'",
        "builtIn eq 'true'",
    ],
)
def test_group_list_unsupported_filter_is_400(api, catalogue, expression):
    response = api.get("groups", **{"$filter": expression})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ValidationError"


def test_group_list_pages_with_top_skip_and_next_link(client, api, bearer, catalogue):
    everything = names(api.get("groups"))
    assert len(everything) == 7

    first = api.get("groups", **{"$top": "3"})
    data = first.json()
    assert [item["name"] for item in data["value"]] == everything[:3]
    assert data["count"] == 7
    next_link = data["nextLink"]
    assert next_link.startswith(f"http://testserver{SERVICE}/groups?")
    assert "api-version=2024-05-01" in next_link

    seen = [item["name"] for item in data["value"]]
    pages = 1
    while next_link:
        page = client.get(next_link, **bearer)
        assert page.status_code == 200
        seen += [item["name"] for item in page.json()["value"]]
        next_link = page.json()["nextLink"]
        pages += 1
    assert seen == everything
    assert pages == 3


def test_group_list_skip(api, catalogue):
    everything = names(api.get("groups"))
    response = api.get("groups", **{"$skip": "5"})
    assert names(response) == everything[5:]
    assert response.json()["nextLink"] is None
    assert response.json()["count"] == 7
    assert names(api.get("groups", **{"$skip": "50"})) == []


def test_group_list_next_link_keeps_the_filter(client, api, bearer, catalogue):
    first = api.get("groups", **{"$filter": "startswith(name,'part')", "$top": "1"}).json()
    assert first["count"] == 2
    second = client.get(first["nextLink"], **bearer).json()
    assert [first["value"][0]["name"], second["value"][0]["name"]] == ["part-time", "partners"]
    assert second["nextLink"] is None


# --- Groups: one entity -----------------------------------------------------


def test_group_get_and_head_give_a_quoted_etag(client, api, partners):
    got = api.get("groups/partners")
    assert got.status_code == 200
    assert got["ETag"] == f'"{partners.version}"'
    assert got.json()["properties"]["displayName"] == "Partners"
    head = api.head("groups/partners")
    assert head.status_code == 200
    assert head["ETag"] == got["ETag"]
    assert head.content == b""


def raw_wsgi_head(path: str, headers: dict[str, str]) -> tuple[str, dict[str, str], bytes]:
    """A HEAD straight through Django's WSGI handler.

    The test client empties HEAD bodies as web servers do, so it can't show
    what the application itself sends.
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
    # Django closes the test's connection between requests otherwise.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = WSGIHandler()(
            environ, lambda status, headers, exc_info=None: started.append((status, dict(headers)))
        )
        try:
            content = b"".join(result)
        finally:
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status, response_headers = started[0]
    return status, response_headers, content


@pytest.mark.parametrize(
    ("path", "status"),
    [("groups/partners", "200 OK"), ("groups/developers/users/{developer}", "204 No Content")],
)
def test_head_sends_no_body(bearer, partners, developer, path, status):
    sent_status, headers, content = raw_wsgi_head(
        url(path.format(developer=developer.api_id)), bearer
    )
    assert sent_status == status
    assert content == b""
    if status == "200 OK":
        assert headers["ETag"] == f'"{partners.version}"'


def test_group_get_unknown_is_404(api, db):
    response = api.get("groups/nobody")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ResourceNotFound"
    assert api.head("groups/nobody").status_code == 404


def test_group_put_creates_then_updates(api, db):
    created = api.put("groups/partners", {"displayName": "Partners", "description": "Firms"})
    assert created.status_code == 201
    assert created["ETag"] == '"1"'
    assert created.json()["name"] == "partners"
    assert created.json()["id"] == f"{SERVICE}/groups/partners"
    group = Group.objects.get(name="partners")
    assert (group.display_name, group.description, group.type) == ("Partners", "Firms", "custom")

    updated = api.put("groups/partners", {"displayName": "Partner firms"})
    assert updated.status_code == 200
    assert updated.json()["properties"]["displayName"] == "Partner firms"
    assert updated["ETag"] != created["ETag"]
    group.refresh_from_db()
    assert group.display_name == "Partner firms"
    assert Group.objects.filter(name="partners").count() == 1


def test_group_put_with_current_etag_updates(api, partners):
    tag = api.get("groups/partners")["ETag"]
    response = api.put("groups/partners", {"displayName": "Partner firms"}, HTTP_IF_MATCH=tag)
    assert response.status_code == 200


def test_group_put_external_group(api, db):
    response = api.put(
        "groups/entra-staff",
        {
            "displayName": "Entra staff",
            "type": "external",
            "externalId": "aad://contoso.onmicrosoft.com/groups/1234",
        },
    )
    assert response.status_code == 201
    assert response.json()["properties"]["type"] == "external"
    assert response.json()["properties"]["externalId"] == (
        "aad://contoso.onmicrosoft.com/groups/1234"
    )


def test_group_put_duplicate_display_name_in_another_case_is_400(api, partners):
    response = api.put("groups/partners-2", {"displayName": "PARTNERS"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ValidationError"
    assert "displayName" in {detail.get("target") for detail in error["details"]}
    assert not Group.objects.filter(name="partners-2").exists()


def test_group_patch_with_current_etag_returns_a_new_etag(api, partners):
    tag = api.get("groups/partners")["ETag"]
    response = api.patch("groups/partners", {"description": "Firms we work with"}, if_match=tag)
    assert response.status_code == 200
    assert response["ETag"] != tag
    assert response["ETag"] == api.get("groups/partners")["ETag"]
    assert response.json()["properties"]["description"] == "Firms we work with"
    partners.refresh_from_db()
    assert partners.description == "Firms we work with"
    assert partners.display_name == "Partners"


def test_group_delete_then_delete_again(api, partners, developer):
    group_services.add_members(group=partners, users=[developer], added_by=None)
    assert api.delete("groups/partners", if_match="*").status_code == 200
    assert not Group.objects.filter(name="partners").exists()
    assert not Membership.objects.exists()
    assert api.delete("groups/partners", if_match="*").status_code == 204


def test_group_delete_with_current_etag(api, partners):
    tag = api.get("groups/partners")["ETag"]
    assert api.delete("groups/partners", if_match=tag).status_code == 200


# --- Group members ----------------------------------------------------------


def test_group_user_put_head_delete(api, partners, developer):
    path = f"groups/partners/users/{developer.api_id}"
    assert api.head(path).status_code == 404

    added = api.put(path)
    assert added.status_code == 201
    assert added.json()["name"] == developer.api_id
    assert added.json()["properties"]["email"] == "dev@example.com"
    assert api.put(path).status_code == 200
    assert Membership.objects.filter(group=partners, user=developer).count() == 1
    assert api.head(path).status_code == 204

    assert api.delete(path, if_match=None).status_code == 200
    assert not Membership.objects.filter(group=partners, user=developer).exists()
    assert api.delete(path, if_match=None).status_code == 204
    assert api.head(path).status_code == 404


def test_group_user_with_unknown_user_or_group_is_404(api, partners, developer):
    assert api.put("groups/partners/users/nobody").status_code == 404
    assert api.put(f"groups/nobody/users/{developer.api_id}").status_code == 404
    assert not Membership.objects.exists()


def test_group_user_list(api, partners, make_user):
    members = [make_user(first_name=f"Member {n}") for n in range(3)]
    make_user(first_name="Outsider")
    group_services.add_members(group=partners, users=members, added_by=None)
    response = api.get("groups/partners/users")
    assert sorted(names(response)) == sorted(member.api_id for member in members)
    assert response.json()["count"] == 3
    first = response.json()["value"][0]
    assert first["id"] == f"{SERVICE}/groups/partners/users/{first['name']}"


def test_developers_group_lists_active_users(
    api, administrator, developer, blocked_user, pending_user
):
    listed = set(names(api.get("groups/developers/users")))
    assert listed == {administrator.api_id, developer.api_id}
    assert api.head(f"groups/developers/users/{developer.api_id}").status_code == 204
    assert api.head(f"groups/developers/users/{blocked_user.api_id}").status_code == 404


def test_administrators_group_lists_administrators(api, administrator, developer):
    assert names(api.get("groups/administrators/users")) == [administrator.api_id]
    assert api.head(f"groups/administrators/users/{developer.api_id}").status_code == 404


def test_guests_group_has_no_members(api, developer, blocked_user):
    response = api.get("groups/guests/users")
    assert names(response) == []
    assert response.json()["count"] == 0


# --- Products ---------------------------------------------------------------


def test_product_put_defaults(api, db):
    response = api.put("products/logistics", {"displayName": "Logistics"})
    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    properties = response.json()["properties"]
    assert properties["subscriptionRequired"] is True
    assert properties["state"] == "notPublished"
    assert properties["approvalRequired"] is False
    assert properties["subscriptionsLimit"] is None
    product = Product.objects.get(name="logistics")
    assert (product.subscription_required, product.state) == (True, "notPublished")


def test_product_put_links_administrators(api, db):
    api.put("products/logistics", {"displayName": "Logistics"})
    assert names(api.get("products/logistics/groups")) == ["administrators"]
    assert api.head("products/logistics/groups/administrators").status_code == 204


def test_product_put_then_update(api, db):
    api.put("products/logistics", {"displayName": "Logistics"})
    response = api.put(
        "products/logistics",
        {"displayName": "Logistics", "state": "published", "subscriptionsLimit": 2},
    )
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    product = Product.objects.get(name="logistics")
    assert (product.state, product.subscriptions_limit) == ("published", 2)
    # An update leaves Administrators' link alone and adds no other.
    assert list(product.groups.values_list("name", flat=True)) == ["administrators"]


def test_product_patch(api, shared_product):
    tag = api.get("products/logistics")["ETag"]
    response = api.patch("products/logistics", {"approvalRequired": True}, if_match=tag)
    assert response.status_code == 200
    assert response.json()["properties"]["approvalRequired"] is True
    assert response["ETag"] != tag
    shared_product.refresh_from_db()
    assert shared_product.approval_required is True


def test_product_groups_put_head_delete_list(api, partners):
    api.put("products/logistics", {"displayName": "Logistics"})
    path = "products/logistics/groups/partners"
    assert api.head(path).status_code == 404

    linked = api.put(path)
    assert linked.status_code == 201
    assert linked.json()["name"] == "partners"
    assert api.put(path).status_code == 200
    assert api.head(path).status_code == 204
    assert names(api.get("products/logistics/groups")) == ["administrators", "partners"]
    assert ProductGroup.objects.filter(product__name="logistics", group=partners).count() == 1

    assert api.delete(path, if_match=None).status_code == 200
    assert api.delete(path, if_match=None).status_code == 204
    assert api.head(path).status_code == 404
    assert names(api.get("products/logistics/groups")) == ["administrators"]


def test_product_delete_with_subscriptions_needs_delete_subscriptions(
    api, shared_product, developer
):
    subscription_services.create_subscription(
        sid="dev-logistics", owner=developer, product=shared_product, display_name="App"
    )
    refused = api.delete("products/logistics")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ValidationError"
    assert Product.objects.filter(name="logistics").exists()
    assert Subscription.objects.filter(sid="dev-logistics").exists()

    assert api.delete("products/logistics", deleteSubscriptions="true").status_code == 200
    assert not Product.objects.filter(name="logistics").exists()
    assert not Subscription.objects.exists()
    assert api.delete("products/logistics").status_code == 204


def test_product_without_subscriptions_deletes(api, db):
    api.put("products/logistics", {"displayName": "Logistics"})
    assert api.delete("products/logistics").status_code == 200
    assert not ProductGroup.objects.exists()


def test_product_list_filter(api, db):
    api.put("products/logistics", {"displayName": "Logistics", "state": "published"})
    api.put("products/payments", {"displayName": "Payments"})
    assert names(api.get("products")) == ["logistics", "payments"]
    assert names(api.get("products", **{"$filter": "state eq 'published'"})) == ["logistics"]


# --- Users ------------------------------------------------------------------


def test_user_put_creates(api, db):
    response = api.put(
        "users/una",
        {"email": "una@example.com", "firstName": "Una", "lastName": "Uno", "note": "Partner"},
    )
    assert response.status_code == 201
    assert response["ETag"]
    data = response.json()
    assert data["name"] == "una"
    assert data["id"] == f"{SERVICE}/users/una"
    assert data["properties"]["state"] == "active"
    assert data["properties"]["email"] == "una@example.com"
    user = User.objects.get(api_id="una")
    assert (user.first_name, user.last_name, user.note) == ("Una", "Uno", "Partner")
    assert not user.is_superuser and not user.is_staff


@pytest.mark.parametrize("missing", ["email", "firstName", "lastName"])
def test_user_put_needs_email_first_and_last_name(api, db, missing):
    properties = {"email": "una@example.com", "firstName": "Una", "lastName": "Uno"}
    del properties[missing]
    response = api.put("users/una", properties)
    assert response.status_code == 400
    assert missing in response.json()["error"]["message"]
    assert not User.objects.filter(api_id="una").exists()


def test_user_put_duplicate_email_in_another_case_is_409(api, developer):
    response = api.put(
        "users/copy", {"email": "DEV@Example.com", "firstName": "Copy", "lastName": "Cat"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "Conflict"
    assert not User.objects.filter(api_id="copy").exists()


def test_user_put_again_with_the_same_body_updates(api, db):
    """The SDK's create_or_update sends appType and confirmation every time."""
    properties = {
        "email": "una@example.com",
        "firstName": "Una",
        "lastName": "Uno",
        "appType": "developerPortal",
        "confirmation": "signup",
    }
    assert api.put("users/una", properties).status_code == 201
    again = api.put("users/una", {**properties, "lastName": "Dos"})
    assert again.status_code == 200, again.content
    assert User.objects.get(api_id="una").last_name == "Dos"


def test_user_get_and_head(api, developer):
    got = api.get(f"users/{developer.api_id}")
    assert got.status_code == 200
    assert got["ETag"].startswith('"') and got["ETag"].endswith('"')
    assert got.json()["properties"]["firstName"] == "Dev"
    head = api.head(f"users/{developer.api_id}")
    assert head.status_code == 200
    assert head["ETag"] == got["ETag"]


def test_user_patch_state_blocked_blocks(api, developer):
    tag = api.get(f"users/{developer.api_id}")["ETag"]
    response = api.patch(f"users/{developer.api_id}", {"state": "blocked"}, if_match=tag)
    assert response.status_code == 200
    assert response.json()["properties"]["state"] == "blocked"
    assert response["ETag"] != tag
    developer.refresh_from_db()
    assert developer.state == User.State.BLOCKED
    assert not developer.is_active


def test_user_patch_state_active_unblocks(api, blocked_user):
    response = api.patch(f"users/{blocked_user.api_id}", {"state": "active"})
    assert response.status_code == 200
    blocked_user.refresh_from_db()
    assert blocked_user.is_active


def test_user_patch_cannot_block_yourself(api, administrator):
    response = api.patch(f"users/{administrator.api_id}", {"state": "blocked"})
    assert response.status_code == 400
    administrator.refresh_from_db()
    assert administrator.is_active


def test_user_delete_is_204(api, developer):
    response = api.delete(f"users/{developer.api_id}")
    assert response.status_code == 204
    assert not User.objects.filter(pk=developer.pk).exists()
    assert api.delete(f"users/{developer.api_id}").status_code == 204


def test_user_delete_with_subscriptions_needs_delete_subscriptions(api, developer, shared_product):
    subscription_services.create_subscription(
        sid="dev-logistics", owner=developer, product=shared_product, display_name="App"
    )
    refused = api.delete(f"users/{developer.api_id}")
    assert refused.status_code == 400
    assert User.objects.filter(pk=developer.pk).exists()
    assert Subscription.objects.filter(sid="dev-logistics").exists()

    assert api.delete(f"users/{developer.api_id}", deleteSubscriptions="true").status_code == 204
    assert not User.objects.filter(pk=developer.pk).exists()
    assert not Subscription.objects.exists()


def test_user_cannot_delete_themselves(api, administrator):
    assert api.delete(f"users/{administrator.api_id}").status_code == 400
    assert User.objects.filter(pk=administrator.pk).exists()


def test_user_groups_include_developers_and_stored_groups(api, developer, partners, make_group):
    make_group("sales", "Sales")
    group_services.add_members(group=partners, users=[developer], added_by=None)
    assert names(api.get(f"users/{developer.api_id}/groups")) == ["developers", "partners"]


def test_administrator_groups(api, administrator):
    assert names(api.get(f"users/{administrator.api_id}/groups")) == [
        "administrators",
        "developers",
    ]


def test_user_groups_agree_with_group_membership_for_a_blocked_user(api, blocked_user, partners):
    """Both directions of the same relation give the same answer."""
    group_services.add_members(group=partners, users=[blocked_user], added_by=None)
    listed = names(api.get(f"users/{blocked_user.api_id}/groups"))
    for name in [*SYSTEM_GROUPS, "partners"]:
        member = api.head(f"groups/{name}/users/{blocked_user.api_id}").status_code == 204
        assert (name in listed) == member, name


def test_user_list_filter(api, developer, administrator):
    response = api.get("users", **{"$filter": "email eq 'dev@example.com'"})
    assert names(response) == [developer.api_id]


# --- Subscriptions ----------------------------------------------------------


@pytest.mark.parametrize("full_ids", [False, True], ids=["short-ids", "resource-ids"])
def test_subscription_put_with_scope_and_owner(api, developer, shared_product, full_ids):
    prefix = SERVICE if full_ids else ""
    response = api.put(
        "subscriptions/dev-logistics",
        {
            "scope": f"{prefix}/products/logistics",
            "ownerId": f"{prefix}/users/{developer.api_id}",
            "displayName": "Developer's app",
        },
    )
    assert response.status_code == 201
    assert response["ETag"]
    properties = response.json()["properties"]
    assert properties["state"] == "submitted"
    assert properties["scope"] == f"{SERVICE}/products/logistics"
    assert properties["ownerId"] == f"{SERVICE}/users/{developer.api_id}"
    subscription = Subscription.objects.get(sid="dev-logistics")
    assert (subscription.owner, subscription.product) == (developer, shared_product)
    assert subscription.state == Subscription.State.SUBMITTED


def test_subscription_put_active(api, developer, shared_product):
    response = api.put(
        "subscriptions/dev-logistics",
        {
            "scope": "/products/logistics",
            "ownerId": f"/users/{developer.api_id}",
            "displayName": "App",
            "state": "active",
        },
    )
    assert response.status_code == 201
    assert response.json()["properties"]["state"] == "active"
    assert response.json()["properties"]["startDate"]


def test_subscription_put_again_with_the_same_body_updates(api, developer, shared_product):
    """Azure's create_or_update is repeatable: the SDK always sends scope and owner."""
    properties = {
        "scope": "/products/logistics",
        "ownerId": f"/users/{developer.api_id}",
        "displayName": "App",
    }
    assert api.put("subscriptions/dev-logistics", properties).status_code == 201
    again = api.put("subscriptions/dev-logistics", {**properties, "displayName": "Renamed"})
    assert again.status_code == 200, again.content
    assert Subscription.objects.get(sid="dev-logistics").display_name == "Renamed"


def test_subscription_put_for_a_developer_who_cannot_see_the_product_is_400(api, developer, db):
    product_services.create_product(
        name="secret", display_name="Secret", state=Product.State.PUBLISHED
    )
    response = api.put(
        "subscriptions/dev-secret",
        {"scope": "/products/secret", "ownerId": f"/users/{developer.api_id}", "displayName": "X"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ValidationError"
    assert "scope" in {detail.get("target") for detail in error["details"]}
    assert not Subscription.objects.exists()


def test_subscription_put_beyond_the_products_limit_is_400(api, developer, shared_product):
    product_services.update_product(
        product=shared_product, expected_version=None, subscriptions_limit=1
    )
    properties = {"scope": "/products/logistics", "ownerId": f"/users/{developer.api_id}"}
    first = api.put("subscriptions/first", {**properties, "displayName": "First"})
    assert first.status_code == 201
    second = api.put("subscriptions/second", {**properties, "displayName": "Second"})
    assert second.status_code == 400
    assert "limit" in second.json()["error"]["message"].lower()
    assert list(Subscription.objects.values_list("sid", flat=True)) == ["first"]


@pytest.mark.parametrize(
    ("properties", "status"),
    [
        ({"displayName": "X"}, 400),
        ({"scope": "/apis/echo", "displayName": "X"}, 400),
        ({"scope": "/products/nothing", "displayName": "X"}, 404),
        ({"scope": "/products/logistics", "ownerId": "/users/nobody", "displayName": "X"}, 404),
        ({"scope": "/products/logistics"}, 400),
    ],
)
def test_subscription_put_with_bad_references(api, shared_product, properties, status):
    response = api.put("subscriptions/bad", properties)
    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert not Subscription.objects.exists()


@pytest.fixture
def subscription(developer, shared_product):
    return subscription_services.create_subscription(
        sid="dev-logistics", owner=developer, product=shared_product, display_name="App"
    )


def test_subscription_reads_never_contain_keys(api, subscription):
    secrets = [subscription.primary_secret, subscription.secondary_secret]
    renamed = api.patch("subscriptions/dev-logistics", {"displayName": "Renamed"})
    responses = [
        api.get("subscriptions/dev-logistics"),
        api.get("subscriptions"),
        api.get("products/logistics/subscriptions"),
        api.get(f"users/{subscription.owner.api_id}/subscriptions"),
        renamed,
    ]
    for response in responses:
        assert response.status_code == 200
        text = response.content.decode()
        assert "primaryKey" not in text and "secondaryKey" not in text
        assert not any(secret in text for secret in secrets)


def test_subscription_lists(api, subscription, make_user, shared_product):
    other = make_user()
    subscription_services.create_subscription(
        sid="other", owner=other, product=shared_product, display_name="Other"
    )
    assert names(api.get("subscriptions")) == ["dev-logistics", "other"]
    assert names(api.get("products/logistics/subscriptions")) == ["dev-logistics", "other"]
    assert names(api.get(f"users/{other.api_id}/subscriptions")) == ["other"]
    assert names(api.get("subscriptions", **{"$filter": "state eq 'submitted'"})) == [
        "dev-logistics",
        "other",
    ]


def test_subscription_list_secrets(api, subscription):
    response = api.post("subscriptions/dev-logistics/listSecrets")
    assert response.status_code == 200
    assert response.json() == {
        "primaryKey": subscription.primary_secret,
        "secondaryKey": subscription.secondary_secret,
    }
    assert response["ETag"]


@pytest.mark.parametrize(
    ("action", "changed", "kept"),
    [
        ("regeneratePrimaryKey", "primary_secret", "secondary_secret"),
        ("regenerateSecondaryKey", "secondary_secret", "primary_secret"),
    ],
)
def test_subscription_regenerate_key(api, subscription, action, changed, kept):
    before = {field: getattr(subscription, field) for field in (changed, kept)}
    response = api.post(f"subscriptions/dev-logistics/{action}")
    assert response.status_code == 204
    assert response.content == b""
    subscription.refresh_from_db()
    assert getattr(subscription, changed) != before[changed]
    assert getattr(subscription, kept) == before[kept]
    secrets = api.post("subscriptions/dev-logistics/listSecrets").json()
    assert secrets == {
        "primaryKey": subscription.primary_secret,
        "secondaryKey": subscription.secondary_secret,
    }


def test_subscription_secrets_of_unknown_subscription_is_404(api, db):
    assert api.post("subscriptions/nothing/listSecrets").status_code == 404
    assert api.post("subscriptions/nothing/regeneratePrimaryKey").status_code == 404


def test_subscription_patch_approves_a_submitted_one(api, subscription):
    tag = api.get("subscriptions/dev-logistics")["ETag"]
    response = api.patch("subscriptions/dev-logistics", {"state": "active"}, if_match=tag)
    assert response.status_code == 200
    assert response.json()["properties"]["state"] == "active"
    assert response["ETag"] != tag
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.ACTIVE
    assert subscription.activated_at is not None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (["cancelled"], "active"),
        (["rejected"], "active"),
        ([], "suspended"),
        (["active", "suspended"], "submitted"),
        ([], "expired"),
    ],
)
def test_subscription_patch_refuses_transitions_the_console_refuses(
    api, subscription, path, target
):
    for state in path:
        assert api.patch("subscriptions/dev-logistics", {"state": state}).status_code == 200
    subscription.refresh_from_db()
    before = (subscription.state, subscription.version)
    response = api.patch("subscriptions/dev-logistics", {"state": target})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ValidationError"
    subscription.refresh_from_db()
    assert (subscription.state, subscription.version) == before


def test_subscription_patch_follows_the_console_through_its_states(api, subscription):
    for state in ["active", "suspended", "active", "cancelled"]:
        response = api.patch("subscriptions/dev-logistics", {"state": state})
        assert response.status_code == 200
        assert response.json()["properties"]["state"] == state
    subscription.refresh_from_db()
    assert subscription.ended_at is not None


def test_subscription_delete(api, subscription):
    assert api.delete("subscriptions/dev-logistics").status_code == 200
    assert not Subscription.objects.exists()
    assert api.delete("subscriptions/dev-logistics").status_code == 204


@pytest.mark.django_db
def test_subscription_keys_chosen_by_the_caller_are_checked(api, developer):
    from products import services as product_services

    product_services.create_product(
        name="keyed",
        display_name="Keyed",
        state="published",
        groups=[Group.objects.get(name="developers")],
    )
    base = {
        "scope": "/products/keyed",
        "ownerId": f"/users/{developer.api_id}",
        "displayName": "Keyed",
        "state": "active",
    }
    short = api.put("subscriptions/short", {**base, "primaryKey": "abc"})
    assert short.status_code == 400
    assert short.json()["error"]["details"][0]["target"] == "primaryKey"
    good = "k" * 40
    assert api.put("subscriptions/first", {**base, "primaryKey": good}).status_code == 201
    reused = api.put("subscriptions/second", {**base, "secondaryKey": good})
    assert reused.status_code == 400
    assert "already in use" in reused.json()["error"]["message"]

"""Every path that changes what someone sees reaches the subscriptions' access rule.

portal.sight.changed is the one funnel; these tests walk each path a person
or a script can take (console, Django admin, management API, demotion) and
check the end of it: the key check a gateway asks. Each path is walked for
a subscription to the product and for one to an API inside it (which the
developer sees through the product). Later paths (sign-in sync, SCIM)
belong in these tables too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from apis import documents as api_documents
from apis import services as api_services
from apis.models import Api
from groups import services as group_services
from groups.models import Group, Membership
from management_api.services import issue_token
from portal import services as user_services
from portal.models import User
from products import services as product_services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import openapi_text

SERVICE = (
    f"/subscriptions/{settings.PORTICO_AZURE_SUBSCRIPTION_ID}"
    f"/resourceGroups/{settings.PORTICO_AZURE_RESOURCE_GROUP}"
    f"/providers/Microsoft.ApiManagement/service/{settings.PORTICO_AZURE_SERVICE_NAME}"
)


class World:
    """A partner developer subscribed to a product only Partners may see, or to an API in it."""

    def __init__(self, client, administrator: User, developer: User, scope: str) -> None:
        self.client = client
        self.administrator = administrator
        self.developer = developer
        self.partners = group_services.create_group(name="partners", display_name="Partners")
        group_services.add_members(group=self.partners, users=[developer], added_by=None)
        self.product = product_services.create_product(
            name="logistics", display_name="Logistics", state="published", groups=[self.partners]
        )
        self.api_in_product = api_services.create_api(
            document=api_documents.read(openapi_text("Tracking")),
            name="tracking",
            display_name="Tracking",
            path="tracking",
        )
        api_services.add_apis(product=self.product, apis=[self.api_in_product], added_by=None)
        self.scope = scope
        self.subscription = subscription_services.subscribe(
            developer=developer,
            product=self.product if scope == "product" else None,
            api=self.api_in_product if scope == "api" else None,
            display_name="Shipping app",
        )
        _, token = issue_token(user=administrator, name="tests", days=1)
        self.bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def key_check(self) -> int:
        named = (
            {"X-Product": self.product.name}
            if self.scope == "product"
            else {"X-Api": self.api_in_product.name}
        )
        response = self.client.get(
            reverse("gateway_check"),
            headers={"Ocp-Apim-Subscription-Key": self.subscription.primary_secret, **named},
        )
        return response.status_code

    def state(self) -> str:
        return Subscription.objects.get(pk=self.subscription.pk).state

    def as_administrator(self) -> None:
        self.client.force_login(self.administrator)

    def api(
        self, method: str, path: str, body: dict | None = None, query: dict | None = None
    ) -> int:
        url = f"{SERVICE}/{path}?{urlencode({'api-version': '2024-05-01', **(query or {})})}"
        response = self.client.generic(
            method,
            url,
            json.dumps({"properties": body or {}}),
            content_type="application/json",
            headers={"If-Match": "*"},
            **self.bearer,
        )
        return response.status_code

    def admin_change_user(self, person: User, **changes: object) -> None:
        self.as_administrator()
        data = {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "note": person.note,
            "state": person.state,
        }
        if person.is_staff:
            data["is_staff"] = "on"
        if person.is_superuser:
            data["is_superuser"] = "on"
        data.update({key: value for key, value in changes.items() if value is not None})
        for key in [key for key, value in changes.items() if value is None]:
            data.pop(key, None)
        response = self.client.post(f"/admin/portal/user/{person.pk}/change/", data)
        assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture(params=["product", "api"])
def world(client, administrator, developer, request) -> World:
    return World(client, administrator, developer, request.param)


def console_remove_member(world: World) -> None:
    world.as_administrator()
    world.client.post(
        reverse("groups:remove_member", args=[world.partners.name, world.developer.pk])
    )


def console_delete_group(world: World) -> None:
    world.as_administrator()
    world.client.post(reverse("groups:delete", args=[world.partners.name]))


def console_revoke_access(world: World) -> None:
    world.as_administrator()
    world.client.post(
        reverse("products:remove_group", args=[world.product.name, world.partners.name])
    )


def console_block(world: World) -> None:
    world.as_administrator()
    world.client.post(reverse("console:user_block", args=[world.developer.pk]))


def admin_delete_membership(world: World) -> None:
    world.as_administrator()
    membership = Membership.objects.get(group=world.partners, user=world.developer)
    world.client.post(f"/admin/groups/membership/{membership.pk}/delete/", {"post": "yes"})


def admin_bulk_delete_memberships(world: World) -> None:
    world.as_administrator()
    membership = Membership.objects.get(group=world.partners, user=world.developer)
    world.client.post(
        "/admin/groups/membership/",
        {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
    )


def admin_delete_group(world: World) -> None:
    world.as_administrator()
    world.client.post(f"/admin/groups/group/{world.partners.pk}/delete/", {"post": "yes"})


def admin_block(world: World) -> None:
    world.admin_change_user(world.developer, state="blocked")


def api_remove_member(world: World) -> None:
    assert world.api("DELETE", f"groups/partners/users/{world.developer.api_id}") == 200


def api_delete_group(world: World) -> None:
    assert world.api("DELETE", "groups/partners") == 200


def api_revoke_access(world: World) -> None:
    assert world.api("DELETE", "products/logistics/groups/partners") == 200


def api_block(world: World) -> None:
    assert world.api("PATCH", f"users/{world.developer.api_id}", {"state": "blocked"}) == 200


LOSS_PATHS: dict[str, Callable[[World], None]] = {
    "console: Members › Remove": console_remove_member,
    "console: group Delete": console_delete_group,
    "console: Access control › Delete": console_revoke_access,
    "console: user Block": console_block,
    "admin: delete a membership": admin_delete_membership,
    "admin: delete memberships in bulk": admin_bulk_delete_memberships,
    "admin: delete a group": admin_delete_group,
    "admin: block a user": admin_block,
    "api: DELETE a group's user": api_remove_member,
    "api: DELETE a group": api_delete_group,
    "api: DELETE a product's group": api_revoke_access,
    "api: PATCH a user's state to blocked": api_block,
}


def service_remove_api(world: World) -> None:
    assert api_services.remove_api(product=world.product, api=world.api_in_product)


def console_delete_product(world: World) -> None:
    world.as_administrator()
    world.client.post(
        reverse("products:delete", args=[world.product.name]), {"delete_subscriptions": "on"}
    )


def api_delete_product(world: World) -> None:
    assert world.api("DELETE", "products/logistics", query={"deleteSubscriptions": "true"}) == 200


# Paths that change who sees an API but not who sees the product.
API_LOSS_PATHS: dict[str, Callable[[World], None]] = {
    "service: take the API out of the product": service_remove_api,
    "console: delete the product (with its subscriptions)": console_delete_product,
    "api: DELETE the product (with its subscriptions)": api_delete_product,
}


@pytest.mark.parametrize("path", LOSS_PATHS)
def test_losing_sight_suspends_the_subscription_whatever_the_path(world, path):
    assert world.key_check() == 204
    LOSS_PATHS[path](world)
    assert world.state() == Subscription.State.SUSPENDED
    assert Subscription.objects.get(pk=world.subscription.pk).state_comment == "Access removed"
    assert world.key_check() == 403


@pytest.fixture
def api_world(client, administrator, developer) -> World:
    return World(client, administrator, developer, "api")


@pytest.mark.parametrize("path", API_LOSS_PATHS)
def test_losing_sight_of_an_api_suspends_its_subscription_whatever_the_path(api_world, path):
    assert api_world.key_check() == 204
    API_LOSS_PATHS[path](api_world)
    assert api_world.state() == Subscription.State.SUSPENDED
    assert api_world.key_check() == 403


def freight(world: World) -> Product:
    """A second product Partners see."""
    return product_services.create_product(
        name="freight", display_name="Freight", state="published", groups=[world.partners]
    )


def test_an_api_still_seen_through_another_product_keeps_its_subscription(api_world):
    other = freight(api_world)
    api_services.add_apis(product=other, apis=[api_world.api_in_product], added_by=None)
    api_services.remove_api(product=api_world.product, api=api_world.api_in_product)
    assert api_world.state() == Subscription.State.ACTIVE
    assert api_world.key_check() == 204


def test_putting_the_api_back_in_a_product_reactivates_its_subscription(api_world):
    api_services.remove_api(product=api_world.product, api=api_world.api_in_product)
    assert api_world.state() == Subscription.State.SUSPENDED
    other = freight(api_world)
    api_services.add_apis(product=other, apis=[api_world.api_in_product], added_by=None)
    assert api_world.state() == Subscription.State.ACTIVE
    assert api_world.key_check() == 204


def test_deleting_the_api_needs_its_subscriptions_deleted_too(api_world):
    with pytest.raises(ValidationError, match="1 subscription to it alone"):
        subscription_services.delete_api(api=api_world.api_in_product)
    assert api_world.key_check() == 204
    subscription_services.delete_api(api=api_world.api_in_product, delete_subscriptions=True)
    assert not Api.objects.filter(name="tracking").exists()
    assert api_world.key_check() == 401


def lose_sight(world: World) -> None:
    """Start from a subscription the rule suspended: the developer left Partners."""
    group_services.remove_member(group=world.partners, user=world.developer)
    assert world.state() == Subscription.State.SUSPENDED


def console_add_member(world: World) -> None:
    world.as_administrator()
    world.client.post(
        reverse("groups:add_members", args=[world.partners.name]), {"pick": [world.developer.pk]}
    )


def console_add_to_groups(world: World) -> None:
    world.as_administrator()
    world.client.post(
        reverse("console:user_add_groups", args=[world.developer.pk]),
        {"pick": [world.partners.name]},
    )


def console_grant_developers(world: World) -> None:
    world.as_administrator()
    world.client.post(
        reverse("products:add_groups", args=[world.product.name]), {"pick": [Group.DEVELOPERS]}
    )


def admin_add_membership(world: World) -> None:
    world.as_administrator()
    world.client.post(
        "/admin/groups/membership/add/",
        {"user": world.developer.pk, "group": world.partners.pk},
    )


def api_add_member(world: World) -> None:
    assert world.api("PUT", f"groups/partners/users/{world.developer.api_id}") == 201


def api_grant_developers(world: World) -> None:
    assert world.api("PUT", "products/logistics/groups/developers") == 201


REGAIN_PATHS: dict[str, Callable[[World], None]] = {
    "console: Members › + Add": console_add_member,
    "console: user › + Add to groups": console_add_to_groups,
    "console: Access control › + Add group": console_grant_developers,
    "admin: add a membership": admin_add_membership,
    "api: PUT a group's user": api_add_member,
    "api: PUT a product's group": api_grant_developers,
}


@pytest.mark.parametrize("path", REGAIN_PATHS)
def test_regaining_sight_reactivates_what_the_rule_suspended_whatever_the_path(world, path):
    lose_sight(world)
    REGAIN_PATHS[path](world)
    assert world.state() == Subscription.State.ACTIVE
    assert world.key_check() == 204


def console_unblock(world: World) -> None:
    world.as_administrator()
    world.client.post(reverse("console:user_unblock", args=[world.developer.pk]))


def admin_unblock(world: World) -> None:
    world.admin_change_user(User.objects.get(pk=world.developer.pk), state="active")


def api_unblock(world: World) -> None:
    assert world.api("PATCH", f"users/{world.developer.api_id}", {"state": "active"}) == 200


@pytest.mark.parametrize("path", [console_unblock, admin_unblock, api_unblock])
def test_unblocking_reactivates_what_blocking_suspended_whatever_the_path(world, path):
    user_services.block_user(user=world.developer, actor=world.administrator)
    assert world.key_check() == 403
    path(world)
    assert world.state() == Subscription.State.ACTIVE
    assert world.key_check() == 204


@pytest.fixture
def promoted(world, make_user) -> tuple[World, User, Subscription]:
    """A second administrator subscribed to a product only administrators see."""
    colleague = User.objects.create_superuser("colleague@example.com", "pw-colleague-123")
    internal = product_services.create_product(
        name="internal", display_name="Internal tools", state="notPublished"
    )
    subscription = subscription_services.subscribe(
        developer=colleague, product=internal, display_name="Ops"
    )
    return world, colleague, subscription


def gateway(world: World, subscription: Subscription) -> int:
    response = world.client.get(
        reverse("gateway_check"),
        headers={
            "Ocp-Apim-Subscription-Key": subscription.secondary_secret,
            "X-Product": subscription.product.name,
        },
    )
    return response.status_code


def test_demotion_in_the_django_admin_reaches_the_key_check(promoted):
    world, colleague, subscription = promoted
    assert gateway(world, subscription) == 204
    world.admin_change_user(colleague, is_superuser=None, is_staff=None)
    colleague.refresh_from_db()
    assert not colleague.is_superuser
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.SUSPENDED
    assert gateway(world, subscription) == 403


def test_promotion_in_the_django_admin_gives_the_access_back(promoted):
    world, colleague, subscription = promoted
    world.admin_change_user(colleague, is_superuser=None, is_staff=None)
    world.admin_change_user(User.objects.get(pk=colleague.pk), is_superuser="on", is_staff="on")
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.ACTIVE
    assert gateway(world, subscription) == 204


def test_unpublishing_is_not_a_change_of_sight(world):
    """Azure leaves subscriptions alone when a product is unpublished; so does Portico."""
    product_services.set_state(product=world.product, state=Product.State.NOT_PUBLISHED)
    assert world.state() == Subscription.State.ACTIVE
    assert world.key_check() == 204

"""SCIM provisioning driven by scim2-client, a maintained SCIM client library, over HTTP
to Portico's WSGI application: each change shows in the portal and at the key check at once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import (
    Email,
    Error,
    Group,
    GroupMember,
    ListResponse,
    Name,
    PatchOp,
    PatchOperation,
    ScimProvider,
    User,
)

from groups.models import Group as PortalGroup
from groups.models import Membership
from portal.models import User as PortalUser
from products import services as product_services
from scim import services
from scim.models import ScimUser
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import catalogue
from tests.scim.conftest import BASE, portico

pytestmark = pytest.mark.django_db


def patch(model: type, *operations: tuple[str, str | None, object]) -> PatchOp:
    return PatchOp[model](
        operations=[
            PatchOperation[model](op=kind, path=path, value=value)
            for kind, path, value in operations
        ]
    )


def op(kind: str, path: str | None = None, value: object = None) -> tuple[str, str | None, object]:
    return kind, path, value


def key_check(client: Client, subscription: Subscription, product: str) -> int:
    response = client.get(
        reverse("gateway_check"),
        headers={"Ocp-Apim-Subscription-Key": subscription.primary_secret, "X-Product": product},
    )
    return response.status_code


def test_provisioning_a_user_a_group_and_its_members_follows_the_directory(scim):
    ada = scim.create(
        User(
            user_name="ada@example.com",
            name=Name(given_name="Ada", family_name="Lovelace"),
            emails=[Email(value="ada@example.com", primary=True)],
            external_id="entra-user-1",
        )
    )
    account = PortalUser.objects.get(email="ada@example.com")
    assert ada.id == account.api_id and ada.active is True
    assert (account.first_name, account.last_name, account.state) == ("Ada", "Lovelace", "active")
    assert ScimUser.objects.get(user=account).external_id == "entra-user-1"
    # Provisioned people sign in through the identity provider: no invitation email.
    assert mail.outbox == []

    logistics = scim.create(Group(display_name="Logistics partners", external_id="6f1c2b9e"))
    group = PortalGroup.objects.get(name=logistics.id)
    assert (group.type, group.external_id, group.display_name) == (
        "external",
        "6f1c2b9e",
        "Logistics partners",
    )
    tracking = product_services.create_product(
        name="tracking", display_name="Tracking", state="published", groups=[group]
    )

    developer = Client()
    developer.force_login(account)
    assert "tracking" not in catalogue(developer)

    scim.modify(Group, logistics.id, patch(Group, op("add", "members", [{"value": ada.id}])))
    membership = Membership.objects.get(group=group, user=account)
    assert membership.synced_via == "provisioning" and membership.synced_at is not None
    assert "tracking" in catalogue(developer)
    subscription = subscription_services.subscribe(
        developer=account, product=tracking, display_name="App"
    )
    gateway = Client()
    assert key_check(gateway, subscription, "tracking") == 204
    read = scim.query(Group, logistics.id)
    assert [member.value for member in read.members] == [ada.id]

    # Removed through a filtered path: gone from the catalogue and the key check at once.
    scim.modify(Group, logistics.id, patch(Group, op("remove", f'members[value eq "{ada.id}"]')))
    assert not Membership.objects.filter(group=group, user=account).exists()
    assert "tracking" not in catalogue(developer)
    assert key_check(gateway, subscription, "tracking") == 403
    assert Subscription.objects.get(pk=subscription.pk).state == "suspended"

    # Back in: the subscription the rule suspended works again.
    scim.modify(Group, logistics.id, patch(Group, op("add", "members", [{"value": ada.id}])))
    assert "tracking" in catalogue(developer)
    assert key_check(gateway, subscription, "tracking") == 204

    # Deactivated: signed out everywhere, the key stops.
    scim.modify(User, ada.id, patch(User, op("replace", "active", False)))
    assert PortalUser.objects.get(pk=account.pk).state == "blocked"
    assert developer.get(reverse("portal:products")).wsgi_request.user.is_anonymous
    assert key_check(gateway, subscription, "tracking") == 403
    assert scim.query(User, ada.id).active is False

    scim.modify(User, ada.id, patch(User, op("replace", "active", True)))
    developer.force_login(PortalUser.objects.get(pk=account.pk))
    assert "tracking" in catalogue(developer)
    assert key_check(gateway, subscription, "tracking") == 204

    # Deleted: the subscription is cancelled first, then the account goes.
    scim.delete(User, ada.id)
    assert not PortalUser.objects.filter(pk=account.pk).exists()
    assert key_check(gateway, subscription, "tracking") == 401


def test_names_and_emails_are_replaced_with_put_and_patch(scim):
    ada = scim.create(User(user_name="ada@example.com", name=Name(given_name="Ada")))
    scim.modify(
        User,
        ada.id,
        patch(
            User,
            op("replace", "name.familyName", "King"),
            op("replace", 'emails[type eq "work"].value', "ada.king@example.com"),
        ),
    )
    account = PortalUser.objects.get(api_id=ada.id)
    assert (account.email, account.last_name) == ("ada.king@example.com", "King")
    # Entra ID's form: no path, attribute names as keys, booleans as strings.
    scim.modify(User, ada.id, patch(User, op("replace", None, {"name.givenName": "Augusta"})))
    scim.modify(User, ada.id, patch(User, op("replace", None, {"active": "False"})))
    account = PortalUser.objects.get(api_id=ada.id)
    assert (account.first_name, account.state) == ("Augusta", "blocked")

    replaced = scim.replace(
        User(
            id=ada.id,
            user_name="countess@example.com",
            name=Name(given_name="Ada", family_name="Lovelace"),
            active=True,
            external_id="entra-2",
        )
    )
    assert replaced.user_name == "countess@example.com" and replaced.active is True
    account = PortalUser.objects.get(api_id=ada.id)
    assert (account.email, account.first_name, account.state) == (
        "countess@example.com",
        "Ada",
        "active",
    )
    assert account.scim.external_id == "entra-2"


def test_a_group_is_renamed_its_members_replaced_and_it_is_deleted(scim, make_user):
    first, second = make_user(email="one@example.com"), make_user(email="two@example.com")
    group = scim.create(Group(display_name="Warehouse", members=[GroupMember(value=first.api_id)]))
    stored = PortalGroup.objects.get(name=group.id)
    # With no externalId, the directory reference is the display name.
    assert stored.external_id == "Warehouse"
    scim.modify(Group, group.id, patch(Group, op("replace", "displayName", "Warehouse staff")))
    scim.modify(Group, group.id, patch(Group, op("replace", "members", [{"value": second.api_id}])))
    stored = PortalGroup.objects.get(pk=stored.pk)
    assert stored.display_name == "Warehouse staff"
    assert set(stored.members.values_list("email", flat=True)) == {"two@example.com"}
    scim.replace(
        Group(
            id=group.id,
            display_name="Warehouse staff",
            external_id="wh-1",
            members=[GroupMember(value=first.api_id), GroupMember(value=second.api_id)],
        )
    )
    stored = PortalGroup.objects.get(pk=stored.pk)
    assert stored.external_id == "wh-1" and stored.members.count() == 2
    scim.modify(Group, group.id, patch(Group, op("remove", "members")))
    assert stored.members.count() == 0
    scim.delete(Group, group.id)
    assert not PortalGroup.objects.filter(pk=stored.pk).exists()


def test_filters_and_pages_through_the_client(scim, make_user):
    for n in range(5):
        make_user(email=f"dev{n}@example.com")
    found = scim.query(User, query_parameters={"filter": 'userName sw "dev"', "count": 2})
    assert isinstance(found, ListResponse)
    assert (found.total_results, found.items_per_page, found.start_index) == (5, 2, 1)
    second = scim.query(
        User, query_parameters={"filter": 'userName sw "dev"', "count": 2, "start_index": 5}
    )
    assert [user.user_name for user in second.resources] == ["dev4@example.com"]


def test_discovery_reads_with_the_client(scim_token):
    client = WSGISCIMClient(
        portico, base_url=BASE, headers={"Authorization": f"Bearer {scim_token}"}
    )
    client.discover()
    config = client.provider.config
    assert config.patch.supported and config.filter.supported and not config.bulk.supported
    assert {resource_type.id for resource_type in client.provider.resource_types} == {
        "User",
        "Group",
    }
    user = client.create(User(user_name="grace@example.com"))
    assert client.query(User, user.id).user_name == "grace@example.com"


def client_without(headers: dict[str, str]) -> WSGISCIMClient:
    return WSGISCIMClient(
        portico,
        base_url=BASE,
        headers=headers,
        provider=ScimProvider(models=[User, Group]),
    )


def test_no_token_or_a_revoked_one_is_refused(scim_token, administrator):
    for headers in ({}, {"Authorization": "Bearer pscim_not-a-token"}):
        error = client_without(headers).query(User, raise_scim_errors=False)
        assert isinstance(error, Error) and error.status == 401
    token, clear = services.issue_token(created_by=administrator, name="Okta", days=1)
    client = client_without({"Authorization": f"Bearer {clear}"})
    assert isinstance(client.query(User), ListResponse)
    services.revoke_token(token=token)
    error = client.create(User(user_name="eve@example.com"), raise_scim_errors=False)
    assert isinstance(error, Error) and error.status == 401
    assert not PortalUser.objects.filter(email="eve@example.com").exists()


def test_malformed_filters_and_unknown_attributes_are_refused(scim):
    for text in ('userName eq "unterminated', "userName zz 1", 'nickName eq "x"'):
        # Sent as it is: the client would refuse to send a malformed filter.
        error = scim.query(
            User,
            query_parameters={"filter": text},
            check_request_payload=False,
            raise_scim_errors=False,
        )
        assert isinstance(error, Error) and error.status == 400
        assert error.scim_type == "invalidFilter"


def test_a_patch_on_a_system_group_is_refused(scim, developers, developer):
    error = scim.modify(
        Group,
        developers.name,
        patch(Group, op("add", "members", [{"value": developer.api_id}])),
        raise_scim_errors=False,
    )
    assert isinstance(error, Error) and error.status == 400 and error.scim_type == "mutability"
    assert not Membership.objects.filter(group=developers).exists()

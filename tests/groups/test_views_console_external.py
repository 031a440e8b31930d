"""The console's external groups: + Add › External group, their Settings, a Members tab
that says the directory decides, and the user page that names the directory group."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from groups import services
from groups.models import Group, Invitation, Membership
from portal.models import User
from products.models import ProductGroup
from tests.conftest import hidden_version, messages_of, table_row

AZURE_ID = "aad://contoso.onmicrosoft.com/groups/6f1c2b9e-aaaa-bbbb-cccc-1234567890ab"
SIGNED_IN = datetime(2026, 11, 30, 14, 2, tzinfo=UTC)
PROVISIONED = datetime(2026, 11, 29, 9, 15, tzinfo=UTC)


@pytest.fixture
def logistics(db):
    return services.create_group(
        name="logistics", display_name="Logistics", description="Warehouse", external_id=AZURE_ID
    )


def synced(group, person, *, via, at):
    """Put a person in an external group as the directory would, at a known time."""
    services.add_directory_members(group=group, users=[person], via=via)
    Membership.objects.filter(group=group, user=person).update(synced_at=at)


def create_external(client, **data):
    return client.post(
        reverse("groups:create_external"),
        {"display_name": "", "name": "", "external_id": "", "description": ""} | data,
    )


# + Add › External group


def test_the_group_list_offers_custom_and_external_groups_under_add(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("groups:list")).content.decode()
    assert f'href="{reverse("groups:create")}">Custom group</a>' in body
    assert f'href="{reverse("groups:create_external")}">External group</a>' in body


def test_the_external_group_form_asks_for_the_directory_groups_id_or_name(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("groups:create_external"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Add an external group" in body
    assert 'name="external_id"' in body
    assert "aad://&lt;tenant&gt;/groups/&lt;id&gt;" in body
    assert "case-insensitively" in body


@pytest.mark.parametrize(
    "external_id", [AZURE_ID, "6f1c2b9e-aaaa-bbbb-cccc-1234567890ab", "/Partners/EU", "Logistics"]
)
def test_creating_an_external_group_keeps_the_directory_reference_as_given(
    client, administrator, external_id
):
    client.force_login(administrator)
    response = create_external(
        client, display_name="Logistics", external_id=f"  {external_id} ", description="Ours"
    )
    assert response.status_code == 302
    assert response.url == reverse("groups:list")
    group = Group.objects.get(name="logistics")
    assert (group.type, group.external_id, group.description) == (
        Group.Type.EXTERNAL,
        external_id,
        "Ours",
    )
    assert Group.objects.for_directory([external_id.upper()]).get() == group
    text = messages_of(client.get(response.url))
    assert any("Created the external group Logistics" in line for line in text)


def test_an_external_group_needs_its_external_id_and_keeps_what_was_typed(client, administrator):
    client.force_login(administrator)
    response = create_external(client, display_name="Logistics", description="Kept")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["external_id"] == [
        "Enter the directory group's id or name: an external group needs one."
    ]
    assert 'value="Logistics"' in response.content.decode()
    assert "Kept</textarea>" in response.content.decode()
    assert not Group.objects.filter(type=Group.Type.EXTERNAL).exists()


def test_an_external_group_with_a_taken_name_is_refused(client, administrator, partners):
    client.force_login(administrator)
    response = create_external(client, display_name="PARTNERS", external_id=AZURE_ID)
    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors
    assert not Group.objects.filter(type=Group.Type.EXTERNAL).exists()


# The list


def test_the_list_shows_external_ids_filters_by_type_and_searches_them(
    client, administrator, logistics, partners
):
    client.force_login(administrator)
    body = client.get(reverse("groups:list")).content.decode()
    assert AZURE_ID in table_row(body, "Logistics")
    assert "aad://" not in table_row(body, "Partner companies")

    external = client.get(reverse("groups:list"), {"type": "external"})
    assert [group.name for group in external.context["page"]] == ["logistics"]
    found = client.get(reverse("groups:list"), {"q": "6F1C2B9E"})
    assert [group.name for group in found.context["page"]] == ["logistics"]


# Settings


def test_an_external_groups_settings_change_its_external_id(client, administrator, logistics):
    client.force_login(administrator)
    url = reverse("groups:update", args=[logistics.name])
    page = client.get(url)
    body = page.content.decode()
    assert 'name="external_id"' in body and AZURE_ID in body
    assert "matches the bare id in a claim" in body
    assert 'name="requestable"' not in body
    response = client.post(
        url,
        {
            "display_name": "Logistics",
            "description": "Warehouse",
            "external_id": "Logistics EU",
            "version": hidden_version(page),
        },
    )
    assert response.status_code == 302
    logistics.refresh_from_db()
    assert (logistics.external_id, logistics.directory_key) == ("Logistics EU", "logistics eu")


def test_an_external_group_keeps_its_external_id(client, administrator, logistics):
    client.force_login(administrator)
    url = reverse("groups:update", args=[logistics.name])
    page = client.get(url)
    response = client.post(
        url,
        {"display_name": "Logistics", "description": "", "external_id": " ", "version": 1},
    )
    assert response.status_code == 200
    assert "external_id" in response.context["form"].errors
    logistics.refresh_from_db()
    assert logistics.external_id == AZURE_ID
    assert hidden_version(page) == logistics.version


def test_pointing_an_external_group_elsewhere_takes_its_members_out(
    client, administrator, logistics, developer
):
    synced(logistics, developer, via="sign-in", at=SIGNED_IN)
    services.update_group(
        group=logistics, expected_version=None, external_id=AZURE_ID.upper() + "/"
    )
    assert logistics.memberships.count() == 1, "the same directory group: members stay"
    services.update_group(group=logistics, expected_version=None, external_id="Other")
    assert not logistics.memberships.exists()


# Members


def test_the_members_tab_says_members_come_from_the_directory(
    client, administrator, logistics, developer, make_user
):
    provisioned = make_user(email="prov@example.com", first_name="Pro", last_name="Visioned")
    synced(logistics, developer, via="sign-in", at=SIGNED_IN)
    synced(logistics, provisioned, via="provisioning", at=PROVISIONED)
    client.force_login(administrator)
    response = client.get(reverse("groups:members", args=[logistics.name]))
    body = response.content.decode()
    assert (
        "Members come from the directory: people join when they sign in with the identity "
        "provider, or when the directory provisions them."
    ) in body
    assert "via sign-in on 30 Nov 2026, 14:02" in table_row(body, "dev@example.com")
    assert "via provisioning on 29 Nov 2026, 09:15" in table_row(body, "prov@example.com")
    assert reverse("groups:add_members", args=[logistics.name]) not in body
    assert "/remove/" not in body
    assert "Remove" not in body


def test_an_external_group_has_no_rules_or_requests_tabs(client, administrator, logistics):
    client.force_login(administrator)
    body = client.get(reverse("groups:detail", args=[logistics.name])).content.decode()
    assert reverse("groups:rules", args=[logistics.name]) not in body
    assert reverse("groups:requests", args=[logistics.name]) not in body
    assert "Members come from the directory" in body


def test_an_empty_external_group_says_nobody_has_signed_in_yet(client, administrator, logistics):
    client.force_login(administrator)
    body = client.get(reverse("groups:members", args=[logistics.name])).content.decode()
    assert "Nobody in the directory group has signed in or been provisioned yet." in body
    assert "+ Add" not in body


def test_the_members_tab_of_an_external_group_makes_the_same_queries_for_many(
    client, administrator, logistics, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_people(numbers):
        users = User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="Bulk", last_name=str(n))
            for n in numbers
        )
        Membership.objects.bulk_create(
            Membership(group=logistics, user=user, synced_via="sign-in", synced_at=SIGNED_IN)
            for user in users
        )

    url = reverse("groups:members", args=[logistics.name])
    # Session, user, group, count, page of memberships with their people, and the
    # approvals count in the menu.
    assert_queries_do_not_grow(url, add_people, 6)


@pytest.mark.parametrize("method", ["get", "post"])
def test_adding_or_removing_members_of_an_external_group_by_hand_is_403(
    client, administrator, logistics, developer, outsider, method
):
    synced(logistics, developer, via="sign-in", at=SIGNED_IN)
    client.force_login(administrator)
    add = getattr(client, method)(
        reverse("groups:add_members", args=[logistics.name]), {"pick": [outsider.pk]}
    )
    remove = getattr(client, method)(
        reverse("groups:remove_member", args=[logistics.name, developer.pk])
    )
    assert add.status_code == remove.status_code == 403
    assert list(logistics.memberships.values_list("user", flat=True)) == [developer.pk]


def test_rules_are_refused_for_external_groups(client, administrator, logistics):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_rule", args=[logistics.name]), {"value": "partner.example"}
    )
    assert response.status_code == 400
    assert "is an external group" in response.content.decode()
    assert not logistics.rules.exists()


# The user's page


def test_the_user_page_says_an_external_membership_comes_from_the_directory(
    client, administrator, logistics, developer, partners, make_product
):
    synced(logistics, developer, via="sign-in", at=SIGNED_IN)
    services.add_members(group=partners, users=[developer], added_by=administrator)
    shipping = make_product("Shipping", state="published")
    ProductGroup.objects.filter(product=shipping).delete()
    ProductGroup.objects.create(product=shipping, group=logistics)
    client.force_login(administrator)
    body = client.get(developer.get_absolute_url()).content.decode()
    row = table_row(body, 'href="/console/groups/logistics/"')
    assert "From the directory, via sign-in on 30 Nov 2026, 14:02" in row
    assert "Remove" not in row and "added by" not in row.lower()
    assert "Remove" in table_row(body, 'href="/console/groups/partners/"')
    seen = table_row(body, "Shipping")
    assert "via Logistics (directory group" in seen and AZURE_ID in seen


def test_add_to_groups_offers_no_external_group(client, administrator, developer, logistics):
    client.force_login(administrator)
    url = reverse("console:user_add_groups", args=[developer.pk])
    assert "Logistics" not in client.get(url).content.decode()
    response = client.post(url, {"pick": [logistics.name]})
    assert response.status_code == 200
    assert "Choose at least one group" in response.content.decode()
    assert not Membership.objects.exists()


def test_invitations_offer_no_external_group(client, administrator, logistics, partners):
    client.force_login(administrator)
    body = client.get(reverse("console:invite")).content.decode()
    assert "Partners" in body and "Logistics" not in body
    response = client.post(
        reverse("console:invite"), {"email": "new@example.com", "groups": [logistics.pk]}
    )
    assert response.status_code == 200
    assert "groups" in response.context["form"].errors
    assert not Invitation.objects.exists()

"""management_api.views.resources: groups and their members through the management API."""

from __future__ import annotations

import pytest

from groups import services as group_services
from groups.models import Group, Membership
from tests.management_api.helpers import (
    SERVICE,
    SYSTEM_GROUPS,
    assert_azure_error,
    body,
    names,
    url,
)

# Groups


def test_group_list_is_azures_collection(api, group_catalogue):
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


def test_group_get_and_head_give_a_quoted_etag(client, api, partners):
    got = api.get("groups/partners")
    assert got.status_code == 200
    assert got["ETag"] == f'"{partners.version}"'
    assert got.json()["properties"]["displayName"] == "Partners"
    head = api.head("groups/partners")
    assert head.status_code == 200
    assert head["ETag"] == got["ETag"]
    assert head.content == b""


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


def test_external_group_without_external_id_is_400(client, bearer):
    response = client.put(
        url("groups/entra"),
        body(displayName="Entra", type="external"),
        "application/json",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not Group.objects.filter(name="entra").exists()


@pytest.mark.parametrize("external_id", [["aad://x"], {"id": "aad://x"}, 7, True])
@pytest.mark.parametrize("kind", ["external", ["external"], 1])
def test_group_put_refuses_a_type_or_external_id_that_is_no_string(api, db, kind, external_id):
    """Found by tests/management_api/test_fuzz_api.py: ["aad://x"] was kept as the text "['aad://x']"."""
    response = api.put(
        "groups/entra", {"displayName": "Entra", "type": kind, "externalId": external_id}
    )
    assert_azure_error(response, 400, "ValidationError")
    assert not Group.objects.filter(name="entra").exists()


# Group members


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
    # As Azure's ApiManagementListGroupUsers example answers: the user's own id,
    # the association's type.
    assert first["id"] == f"{SERVICE}/users/{first['name']}"
    assert first["type"] == "Microsoft.ApiManagement/service/groups/users"


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


# System groups


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


# External groups: created, read and listed as Azure's; members only from the directory

ENTRA_ID = "aad://contoso.onmicrosoft.com/groups/6f1c2b9e-aaaa-bbbb-cccc-1234567890ab"


def test_external_group_put_get_and_list_with_a_filter_on_its_external_id(api, partners):
    created = api.put(
        "groups/logistics", {"displayName": "Logistics", "type": "external", "externalId": ENTRA_ID}
    )
    assert created.status_code == 201
    group = Group.objects.get(name="logistics")
    assert (group.type, group.directory_key) == (
        Group.Type.EXTERNAL,
        "6f1c2b9e-aaaa-bbbb-cccc-1234567890ab",
    )
    read = api.get("groups/logistics").json()["properties"]
    assert (read["type"], read["externalId"], read["builtIn"]) == ("external", ENTRA_ID, False)
    listed = api.get("groups", **{"$filter": f"externalId eq '{ENTRA_ID}'"})
    assert names(listed) == ["logistics"]
    assert names(api.get("groups", **{"$filter": "startswith(externalId, 'aad://')"})) == [
        "logistics"
    ]
    every = {item["name"]: item["properties"] for item in api.get("groups").json()["value"]}
    assert every["logistics"]["type"] == "external"
    assert every["partners"]["externalId"] is None


def test_external_group_members_cannot_be_added_or_removed(client, bearer, external, developer):
    group_services.add_directory_members(group=external, users=[developer], via="sign-in")
    path = f"groups/{external.name}/users/{developer.api_id}"
    added = client.put(url(f"groups/{external.name}/users/nobody-else"), **bearer)
    assert added.status_code == 404
    for response in (client.put(url(path), **bearer), client.delete(url(path), **bearer)):
        error = assert_azure_error(response, 400, "ValidationError")
        assert "is an external group" in error["message"]
        assert error["details"][0]["target"] == "group"
    assert list(external.memberships.values_list("user", flat=True)) == [developer.pk]
    # Reading the membership still works, both ways.
    assert client.head(url(path), **bearer).status_code == 204
    assert names(client.get(url(f"groups/{external.name}/users"), **bearer)) == [developer.api_id]
    assert "directory" in names(client.get(url(f"users/{developer.api_id}/groups"), **bearer))

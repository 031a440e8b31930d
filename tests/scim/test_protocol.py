"""/scim/v2/ as RFC 7644 describes it, with plain requests: filters, pages, errors' shape,
discovery, uniqueness, and what provisioning refuses to touch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups import services as group_services
from groups.models import Group, Membership
from portal.models import User
from scim import services
from scim.resources import MAX_PAGE_SIZE

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def error_of(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    assert body.get("scimType") == scim_type
    return body


def user_body(email: str, **extra) -> dict:
    return {"schemas": [USER], "userName": email, **extra}


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH], "Operations": list(operations)}


@pytest.fixture
def people(make_user):
    ada = make_user(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    grace = make_user(email="grace@navy.example", first_name="Grace", last_name="Hopper")
    alan = make_user(email="alan@example.com", first_name="Alan", last_name="Turing")
    services.update_user(
        user=ada,
        email=ada.email,
        first_name="Ada",
        last_name="Lovelace",
        active=True,
        external_id="EXT-ada",
    )
    services.set_active(user=alan, active=False)
    return {"ada": ada, "grace": grace, "alan": alan}


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {resource["userName"] for resource in response.json()["Resources"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "ADA@example.com"', {"ada@example.com"}),
        ('USERNAME Eq "ada@example.com"', {"ada@example.com"}),
        ('userName sw "gr"', {"grace@navy.example"}),
        ('userName co "NAVY"', {"grace@navy.example"}),
        ('userName ew "example.com"', {"ada@example.com", "alan@example.com"}),
        ('userName ne "ada@example.com"', {"grace@navy.example", "alan@example.com"}),
        ('userName sw "a" and name.familyName eq "turing"', {"alan@example.com"}),
        (
            'userName eq "ada@example.com" or userName eq "alan@example.com"',
            {"ada@example.com", "alan@example.com"},
        ),
        ('not (userName sw "a")', {"grace@navy.example"}),
        ('emails[value eq "grace@navy.example"]', {"grace@navy.example"}),
        ('emails.value co "navy"', {"grace@navy.example"}),
        ('emails[type eq "work" and value sw "ada"]', {"ada@example.com"}),
        ('externalId eq "EXT-ada"', {"ada@example.com"}),
        ('externalId eq "ext-ada"', set()),
        ("externalId pr", {"ada@example.com"}),
        ('displayName eq "grace hopper"', {"grace@navy.example"}),
        ("active eq false", {"alan@example.com"}),
        ('active eq true and userName sw "a"', {"ada@example.com"}),
        (
            'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alan@example.com"',
            {"alan@example.com"},
        ),
    ],
)
def test_each_filter_operator_on_users(raw, people, text, expected):
    assert names(raw.get("Users", filter=text)) - {"root@example.com"} == expected


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "unterminated',
        "userName eq",
        'userName zz "x"',
        '(userName eq "x"',
        'nickName eq "x"',
        'name.middleName eq "x"',
        'urn:example:other:userName eq "x"',
        'active eq "yes"',
        'active sw "t"',
        "userName eq 5",
        'members[value eq "x"]',
        "x" * 3000,
    ],
)
def test_malformed_filters_and_unknown_attributes_are_invalid_filters(raw, people, text):
    error_of(raw.get("Users", filter=text), 400, "invalidFilter")


def test_groups_filter_on_their_name_reference_and_members(raw, people, partners):
    logistics = services.provision_group(
        display_name="Logistics", external_id="LOG-1", members=[people["ada"]]
    )
    services.provision_group(display_name="Warehouse", external_id=None)

    def ids(text: str) -> set[str]:
        response = raw.get("Groups", filter=text)
        assert response.status_code == 200, response.content
        return {group["displayName"] for group in response.json()["Resources"]}

    assert ids('displayName eq "logistics"') == {"Logistics"}
    assert ids('displayName sw "W"') == {"Warehouse"}
    assert ids('externalId eq "LOG-1"') == {"Logistics"}
    assert ids(f'members[value eq "{people["ada"].api_id}"]') == {"Logistics"}
    assert ids(f'id eq "{logistics.name}" or displayName co "house"') == {
        "Logistics",
        "Warehouse",
    }
    # System and custom groups aren't provisioning's: never listed.
    assert ids("displayName pr") == {"Logistics", "Warehouse"}
    error_of(raw.get("Groups", filter='userName eq "x"'), 400, "invalidFilter")


def test_pages_start_at_one_and_are_capped(raw, make_user):
    for n in range(12):
        make_user(email=f"dev{n:02}@example.com")
    page = raw.get("Users", filter='userName sw "dev"', startIndex=11, count=5).json()
    assert page["totalResults"] == 12 and page["startIndex"] == 11
    assert page["itemsPerPage"] == 2 and len(page["Resources"]) == 2
    assert page["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    first = raw.get("Users", filter='userName sw "dev"', count=5, startIndex=0).json()
    assert first["startIndex"] == 1 and first["Resources"][0]["userName"] == "dev00@example.com"
    assert raw.get("Users", count=0).json()["Resources"] == []
    assert raw.get("Users", startIndex=100).json()["Resources"] == []
    error_of(raw.get("Users", count="many"), 400, "invalidValue")


def test_the_page_size_has_a_default_and_a_maximum(raw, make_user):
    User.objects.bulk_create(
        [User(email=f"bulk{n:03}@example.com", api_id=f"bulk{n:03}") for n in range(205)]
    )
    assert len(raw.get("Users").json()["Resources"]) == 100
    assert len(raw.get("Users", count=1000).json()["Resources"]) == MAX_PAGE_SIZE


def test_a_list_takes_the_same_queries_however_long(raw, make_user, django_assert_max_num_queries):
    group = services.provision_group(display_name="Logistics", external_id=None)
    people = [make_user() for _ in range(3)]
    services.add_members(group=group, users=people)
    for _ in range(2):
        # The token, its last use, the count, the page, each prefetch, and savepoints.
        with django_assert_max_num_queries(10):
            assert raw.get("Users").status_code == 200
        with django_assert_max_num_queries(10):
            assert raw.get("Groups").status_code == 200
        services.add_members(group=group, users=[make_user() for _ in range(10)])


def test_a_user_reads_as_scim_says(raw, people):
    ada = people["ada"]
    response = raw.get(f"Users/{ada.api_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [USER] and body["id"] == ada.api_id
    assert body["userName"] == "ada@example.com" and body["externalId"] == "EXT-ada"
    assert body["name"] == {
        "formatted": "Ada Lovelace",
        "givenName": "Ada",
        "familyName": "Lovelace",
    }
    assert body["emails"] == [{"value": "ada@example.com", "type": "work", "primary": True}]
    assert body["active"] is True and body["groups"] == []
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{ada.api_id}")
    only = raw.get(f"Users/{ada.api_id}", attributes="userName").json()
    assert set(only) == {"schemas", "id", "meta", "userName"}
    without = raw.get(f"Users/{ada.api_id}", excludedAttributes="groups,emails").json()
    assert "groups" not in without and "emails" not in without and "userName" in without


def test_unknown_resources_and_methods_are_refused_in_scims_shape(raw):
    error_of(raw.get("Users/nobody"), 404)
    error_of(raw.get("Groups/nobody"), 404)
    error_of(raw.get("Bulk"), 404)
    error_of(raw.send("PATCH", "Users", patch_body()), 405)


def test_a_token_is_required_and_a_session_is_not_one(client, administrator, scim_token):
    client.force_login(administrator)
    response = client.get("/scim/v2/Users")
    error_of(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    error_of(client.get("/scim/v2/Users", headers={"Authorization": "Basic abc"}), 401)
    token, clear = services.issue_token(created_by=administrator, name="Old", days=1)
    token.__class__.objects.filter(pk=token.pk).update(expires_at=token.created_at)
    error_of(client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {clear}"}), 401)
    # CSRF doesn't apply: a token is all a write needs.
    response = client.post(
        "/scim/v2/Users",
        user_body("new@example.com"),
        content_type="application/json",
        headers={"Authorization": f"Bearer {scim_token}"},
    )
    assert response.status_code == 201


def test_creating_a_user_answers_201_with_its_location(raw):
    response = raw.send(
        "POST",
        "Users",
        user_body(
            "Lin@Example.COM",
            name={"givenName": "Lin", "familyName": "Ma"},
            active=False,
            externalId="x-1",
            # Attributes Portico doesn't keep are ignored (RFC 7643 lets a
            # service provider keep only some): identity providers send them.
            title="Engineer",
            phoneNumbers=[{"value": "+1 555"}],
            **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}},
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["meta"]["location"]
    account = User.objects.get(api_id=body["id"])
    # The domain is lower-cased, as every account's is; a user created inactive is pending.
    assert account.email == "Lin@example.com" and account.state == "pending"
    assert body["active"] is False and "title" not in body


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"userName": "no-schemas@example.com"}, "invalidValue"),
        (user_body("not an email"), "invalidValue"),
        (user_body(""), "invalidValue"),
        (user_body("ok@example.com", active="maybe"), "invalidValue"),
        (user_body("ok@example.com", name="Ada"), "invalidValue"),
        (user_body("ok@example.com", name={"givenName": "x" * 101}), "invalidValue"),
        (user_body("ok@example.com", externalId=5), "invalidValue"),
    ],
)
def test_a_bad_user_is_refused_and_nothing_is_created(raw, body, scim_type):
    before = User.objects.count()
    error_of(raw.send("POST", "Users", body), 400, scim_type)
    assert User.objects.count() == before


def test_invalid_json_is_invalid_syntax(raw):
    error_of(raw.send("POST", "Users", "{not json"), 400, "invalidSyntax")
    error_of(raw.send("POST", "Users", "[]"), 400, "invalidSyntax")


def test_a_taken_user_name_or_group_is_a_uniqueness_conflict(raw, people):
    error_of(raw.send("POST", "Users", user_body("ADA@example.com")), 409, "uniqueness")
    grace = people["grace"]
    error_of(
        raw.send("PUT", f"Users/{grace.api_id}", user_body("ada@example.com")), 409, "uniqueness"
    )
    assert User.objects.get(pk=grace.pk).email == "grace@navy.example"
    first = {"schemas": [GROUP], "displayName": "Logistics", "externalId": "log-1"}
    assert raw.send("POST", "Groups", first).status_code == 201
    error_of(
        raw.send("POST", "Groups", {**first, "externalId": "log-2", "displayName": "LOGISTICS"}),
        409,
        "uniqueness",
    )
    error_of(raw.send("POST", "Groups", {**first, "displayName": "Other"}), 409, "uniqueness")
    assert Group.objects.filter(type=Group.Type.EXTERNAL).count() == 1


def test_patch_paths_that_name_nothing_are_refused_and_change_nothing(raw, people):
    ada = people["ada"]
    url = f"Users/{ada.api_id}"
    cases = [
        ({"op": "replace", "path": "nickName2", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "name[", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "urn:example:other:title", "value": "x"}, "invalidPath"),
        ({"op": "remove", "path": "userName"}, "mutability"),
        ({"op": "remove", "path": "active"}, "mutability"),
        ({"op": "remove"}, "noTarget"),
        ({"op": "replace", "path": "active", "value": "perhaps"}, "invalidValue"),
        ({"op": "launch", "path": "active", "value": True}, "invalidValue"),
    ]
    for operation, scim_type in cases:
        body = patch_body(
            {"op": "replace", "path": "name.givenName", "value": "Changed"}, operation
        )
        error_of(raw.send("PATCH", url, body), 400, scim_type)
    assert User.objects.get(pk=ada.pk).first_name == "Ada"
    error_of(raw.send("PATCH", url, {"Operations": []}), 400, "invalidValue")


def test_user_attributes_portico_doesnt_keep_are_ignored_in_a_patch(raw, people):
    ada = people["ada"]
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    body = patch_body(
        {"op": "Replace", "path": 'addresses[type eq "work"].formatted', "value": "1 Main St"},
        {"op": "Replace", "path": f"{enterprise}:department", "value": "R&D"},
        {"op": "Add", "path": "title", "value": "Engineer"},
        {"op": "Replace", "path": "displayName", "value": "Countess"},
        {"op": "Replace", "path": "name.familyName", "value": "King"},
    )
    response = raw.send("PATCH", f"Users/{ada.api_id}", body)
    assert response.status_code == 200, response.content
    assert response.json()["name"]["familyName"] == "King"
    assert response.json()["displayName"] == "Ada King"


def test_group_patches_that_name_nothing_are_refused(raw, people):
    group = services.provision_group(
        display_name="Logistics", external_id=None, members=[people["ada"]]
    )
    url = f"Groups/{group.name}"
    error_of(
        raw.send("PATCH", url, patch_body({"op": "remove", "path": 'members[value eq "nobody"]'})),
        400,
        "noTarget",
    )
    error_of(
        raw.send(
            "PATCH",
            url,
            patch_body({"op": "add", "path": "members", "value": [{"value": "nobody"}]}),
        ),
        400,
        "invalidValue",
    )
    error_of(
        raw.send("PATCH", url, patch_body({"op": "remove", "path": "displayName"})),
        400,
        "mutability",
    )
    error_of(
        raw.send("PATCH", url, patch_body({"op": "replace", "path": "owner", "value": "x"})),
        400,
        "invalidPath",
    )
    assert Membership.objects.filter(group=group).count() == 1


def test_okta_and_entra_group_patches(raw, people):
    ada, grace = people["ada"], people["grace"]
    group = services.provision_group(display_name="Logistics", external_id=None)
    url = f"Groups/{group.name}"
    # Okta: replace with no path, repeating the id.
    response = raw.send(
        "PATCH",
        url,
        patch_body({"op": "replace", "value": {"id": group.name, "displayName": "Logistics EU"}}),
    )
    assert response.status_code == 200 and response.json()["displayName"] == "Logistics EU"
    # Entra ID: capitalised ops, members added and removed with values.
    raw.send(
        "PATCH",
        url,
        patch_body(
            {
                "op": "Add",
                "path": "members",
                "value": [{"value": ada.api_id}, {"value": grace.api_id}],
            }
        ),
    )
    raw.send(
        "PATCH",
        url,
        patch_body({"op": "Remove", "path": "members", "value": [{"value": ada.api_id}]}),
    )
    assert set(Group.objects.get(pk=group.pk).members.all()) == {grace}


def test_system_and_custom_groups_are_not_provisionings(raw, developers, partners, developer):
    for group in (developers, partners):
        error_of(raw.get(f"Groups/{group.name}"), 404)
        error_of(
            raw.send(
                "PATCH",
                f"Groups/{group.name}",
                patch_body({"op": "replace", "path": "displayName", "value": "Mine"}),
            ),
            400,
            "mutability",
        )
        error_of(
            raw.send(
                "PUT",
                f"Groups/{group.name}",
                {"schemas": [GROUP], "displayName": "Mine", "members": []},
            ),
            400,
            "mutability",
        )
        error_of(raw.send("DELETE", f"Groups/{group.name}", ""), 400, "mutability")
    assert Group.objects.get(pk=partners.pk).display_name == "Partners"
    assert Group.objects.filter(pk=developers.pk).exists()


def test_an_administrator_is_neither_deactivated_nor_deleted(raw, administrator):
    url = f"Users/{administrator.api_id}"
    body = patch_body({"op": "replace", "path": "active", "value": False})
    error_of(raw.send("PATCH", url, body), 400, "mutability")
    error_of(raw.send("DELETE", url, ""), 400, "mutability")
    assert User.objects.get(pk=administrator.pk).state == "active"


def test_members_of_a_group_are_people(raw, make_user):
    ada = make_user()
    body = {
        "schemas": [GROUP],
        "displayName": "Nested",
        "members": [{"value": ada.api_id, "type": "Group"}],
    }
    error_of(raw.send("POST", "Groups", body), 400, "invalidValue")


def test_deleting_a_group_takes_what_it_gave(raw, make_user, make_product):
    ada = make_user()
    group = services.provision_group(display_name="Logistics", external_id=None, members=[ada])
    assert raw.send("DELETE", f"Groups/{group.name}", "").status_code == 204
    assert not Group.objects.filter(pk=group.pk).exists()
    error_of(raw.get(f"Groups/{group.name}"), 404)


def test_provisioned_groups_get_free_ids_from_their_names(raw):
    group_services.create_group(name="logistics", display_name="Logistics (custom)")
    body = {"schemas": [GROUP], "displayName": "Logistics"}
    response = raw.send("POST", "Groups", body)
    assert response.status_code == 201, response.content
    assert response.json()["id"] == "logistics-2"
    assert response.json()["externalId"] == "Logistics"


def test_discovery_documents(raw):
    config = raw.get("ServiceProviderConfig").json()
    assert config["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": MAX_PAGE_SIZE}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = raw.get("ResourceTypes").json()
    assert {item["id"]: item["endpoint"] for item in types["Resources"]} == {
        "User": "/Users",
        "Group": "/Groups",
    }
    assert raw.get("ResourceTypes/User").json()["schema"] == USER
    schemas = raw.get("Schemas").json()
    assert {item["id"] for item in schemas["Resources"]} == {USER, GROUP}
    user_schema = raw.get(f"Schemas/{USER}").json()
    assert {attribute["name"] for attribute in user_schema["attributes"]} == {
        "userName",
        "name",
        "displayName",
        "active",
        "emails",
        "groups",
    }
    error_of(raw.get("Schemas/urn:example:nothing"), 404)
    assert reverse("scim:root") == "/scim/v2/"

"""External groups take their members from the directory only: a sign-in's groups claim
replaces a person's external memberships, and provisioning adds, removes or replaces a group's."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from groups import services
from groups.models import Group, Membership, directory_key
from subscriptions.models import Subscription
from tests.conftest import fresh


@pytest.fixture
def logistics(db):
    return services.create_group(
        name="logistics",
        display_name="Logistics (directory)",
        external_id="aad://contoso.onmicrosoft.com/groups/6f1c2b9e-aaaa-bbbb-cccc-1234567890ab",
    )


@pytest.fixture
def keycloak_group(db):
    return services.create_group(
        name="keycloak-partners", display_name="Keycloak partners", external_id="/Partners"
    )


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("aad://contoso.onmicrosoft.com/groups/ABC-123", "abc-123"),
        ("aad://other-tenant/groups/abc-123/", "abc-123"),
        ("  Partners ", "partners"),
        ("/Partners/EU", "/partners/eu"),
    ],
)
def test_directory_keys_fold_case_and_the_azure_form(reference, key):
    assert directory_key(reference) == key


def test_a_long_reference_is_kept_as_a_digest():
    key = directory_key("ü" * 2000)
    assert key.startswith("sha256:") and len(key) <= 200
    assert key == directory_key("Ü" * 2000)


def test_the_key_follows_the_external_id(logistics):
    assert logistics.directory_key == "6f1c2b9e-aaaa-bbbb-cccc-1234567890ab"
    services.update_group(
        group=logistics, expected_version=logistics.version, external_id="Logistics staff"
    )
    assert fresh(logistics).directory_key == "logistics staff"


def test_sign_in_adds_the_groups_the_claim_names_by_id_or_name(
    developer, logistics, keycloak_group
):
    result = services.sync_directory_groups(
        user=developer,
        references=["6F1C2B9E-AAAA-BBBB-CCCC-1234567890AB", "/partners", "unknown-group"],
        via="sign-in",
    )
    assert {group.name for group in result.added} == {"logistics", "keycloak-partners"}
    rows = Membership.objects.filter(user=developer)
    assert {(row.group.name, row.synced_via) for row in rows} == {
        ("logistics", "sign-in"),
        ("keycloak-partners", "sign-in"),
    }
    assert all(row.synced_at is not None and row.added_by is None for row in rows)


def test_sign_in_removes_what_the_claim_no_longer_names_and_keeps_custom_groups(
    member, logistics, keycloak_group
):
    services.sync_directory_groups(
        user=member, references=[logistics.external_id, "/Partners"], via="sign-in"
    )
    result = services.sync_directory_groups(user=member, references=["/Partners"], via="sign-in")
    assert [group.name for group in result.removed] == ["logistics"]
    assert [group.name for group in result.kept] == ["keycloak-partners"]
    names = set(Membership.objects.filter(user=member).values_list("group__name", flat=True))
    # Partners is a custom group: the directory never touches it.
    assert names == {"partners", "keycloak-partners"}


def test_an_unchanged_claim_changes_nothing_but_the_sync_time(developer, logistics):
    services.sync_directory_groups(
        user=developer, references=["/none", logistics.external_id], via="sign-in"
    )
    first = Membership.objects.get(user=developer, group=logistics)
    result = services.sync_directory_groups(
        user=developer, references=[logistics.external_id], via="provisioning"
    )
    assert not result.changed
    again = Membership.objects.get(user=developer, group=logistics)
    assert again.pk == first.pk and again.synced_via == "provisioning"
    assert again.synced_at >= first.synced_at


def test_losing_the_group_runs_the_access_rule(developer, logistics, make_product):
    seen = make_product("Directory deals", groups=[logistics])
    services.sync_directory_groups(
        user=developer, references=[logistics.external_id], via="sign-in"
    )
    from subscriptions import services as subscription_services

    subscription = subscription_services.subscribe(
        developer=developer, product=seen, display_name="App"
    )
    services.sync_directory_groups(user=developer, references=[], via="sign-in")
    assert fresh(subscription).state == Subscription.State.SUSPENDED


def test_people_can_not_be_added_to_or_removed_from_an_external_group_by_hand(developer, logistics):
    with pytest.raises(ValidationError, match="its members come from the directory"):
        services.add_members(group=logistics, users=[developer], added_by=None)
    services.add_directory_members(group=logistics, users=[developer], via="provisioning")
    with pytest.raises(ValidationError, match="its members come from the directory"):
        services.remove_member(group=logistics, user=developer)
    assert Membership.objects.filter(group=logistics).count() == 1


def test_provisioning_adds_removes_and_replaces_members(make_user, logistics):
    ann, bob, cat = (make_user(email=f"{name}@example.com") for name in ("ann", "bob", "cat"))
    assert (
        services.add_directory_members(group=logistics, users=[ann, bob], via="provisioning") == 2
    )
    assert services.add_directory_members(group=logistics, users=[ann], via="provisioning") == 0
    assert services.remove_directory_members(group=logistics, users=[bob, cat]) == 1
    assert services.replace_directory_members(
        group=logistics, users=[bob, cat], via="provisioning"
    ) == (2, 1)
    members = set(Membership.objects.filter(group=logistics).values_list("user__email", flat=True))
    assert members == {"bob@example.com", "cat@example.com"}


def test_provisioning_refuses_groups_that_are_not_external(developer, partners, developers):
    for group in (partners, developers):
        with pytest.raises(ValidationError, match="isn't an external group"):
            services.add_directory_members(group=group, users=[developer], via="provisioning")
        with pytest.raises(ValidationError, match="isn't an external group"):
            services.remove_directory_members(group=group, users=[developer])
    assert not Membership.objects.filter(user=developer).exists()


def test_for_directory_finds_only_external_groups(partners, logistics):
    found = Group.objects.for_directory(["partners", "Partners", logistics.external_id, ""])
    assert list(found) == [logistics]

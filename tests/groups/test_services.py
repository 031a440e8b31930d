from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from groups import services
from groups.models import Group, Membership, SystemGroupError
from portal.entities import ConcurrentChangeError
from portal.models import User

SYSTEM_GROUPS = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


@pytest.fixture
def custom_group(db):
    return services.create_group(
        name="partners", display_name="Partners", description="Partner companies"
    )


# create_group


@pytest.mark.django_db
def test_create_group_makes_a_custom_group_at_version_one():
    group = services.create_group(name="beta", display_name="Beta testers", description="Early")
    group.refresh_from_db()
    assert (group.name, group.display_name, group.description) == ("beta", "Beta testers", "Early")
    assert group.type == Group.Type.CUSTOM
    assert group.built_in is False
    assert group.version == 1


@pytest.mark.django_db
def test_create_group_with_an_external_id_makes_an_external_group():
    group = services.create_group(name="ad", display_name="Directory", external_id="cn=devs")
    assert group.type == Group.Type.EXTERNAL
    assert Group.objects.get(pk=group.pk).external_id == "cn=devs"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"name": "a b", "display_name": "Spaces"}, "name"),
        ({"name": "new", "display_name": "Reserved"}, "name"),
        ({"name": "..", "display_name": "Dots"}, "name"),
        ({"name": "", "display_name": "No ID"}, "name"),
        ({"name": "no-name", "display_name": ""}, "display_name"),
        ({"name": "long", "display_name": "n" * 301}, "display_name"),
    ],
)
def test_create_group_validates_before_saving(fields, error_field):
    with pytest.raises(ValidationError) as error:
        services.create_group(**fields)
    assert error_field in error.value.message_dict
    assert not Group.objects.custom().exists()


@pytest.mark.parametrize(
    ("name", "display_name"), [("PARTNERS", "Other"), ("other", "PARTNERS"), ("other", "partners")]
)
def test_create_group_refuses_duplicates_ignoring_case(custom_group, name, display_name):
    with pytest.raises(ValidationError, match="already exists"):
        services.create_group(name=name, display_name=display_name)
    assert Group.objects.custom().count() == 1


@pytest.mark.django_db
def test_create_group_refuses_an_overlong_description():
    # The console's form stops it, but the service is what the admin and
    # the API share: the model's max_length must hold there too.
    with pytest.raises(ValidationError) as error:
        services.create_group(name="long", display_name="Long", description="d" * 1001)
    assert "description" in error.value.message_dict
    assert not Group.objects.custom().exists()


# update_group


def test_update_group_saves_changes_and_bumps_the_version(custom_group):
    updated = services.update_group(
        group=custom_group, expected_version=1, display_name="Partner firms", description="New"
    )
    assert updated.version == 2
    stored = Group.objects.get(pk=custom_group.pk)
    assert (stored.display_name, stored.description, stored.version) == (
        "Partner firms",
        "New",
        2,
    )


def test_update_group_with_a_stale_version_raises_with_the_current_row(custom_group):
    services.update_group(group=custom_group, expected_version=1, display_name="Theirs")
    stale = Group.objects.get(pk=custom_group.pk)
    stale.version = 1
    with pytest.raises(ConcurrentChangeError) as error:
        services.update_group(group=stale, expected_version=1, display_name="Mine")
    current = error.value.current
    assert isinstance(current, Group)
    assert (current.pk, current.display_name, current.version) == (custom_group.pk, "Theirs", 2)
    stored = Group.objects.get(pk=custom_group.pk)
    assert (stored.display_name, stored.version) == ("Theirs", 2)


def test_update_group_without_an_expected_version_always_saves(custom_group):
    services.update_group(group=custom_group, expected_version=1, display_name="First")
    services.update_group(group=custom_group, expected_version=None, display_name="Second")
    stored = Group.objects.get(pk=custom_group.pk)
    assert (stored.display_name, stored.version) == ("Second", 3)


@pytest.mark.parametrize(
    "changes",
    [
        {"display_name": ""},
        {"display_name": "OTHERS"},
        {"display_name": "n" * 301},
        {"description": "d" * 1001},
    ],
    ids=["empty-name", "taken-name", "long-name", "long-description"],
)
def test_update_group_validates_and_writes_nothing_when_invalid(custom_group, changes):
    services.create_group(name="others", display_name="Others")
    with pytest.raises(ValidationError):
        services.update_group(group=custom_group, expected_version=1, **changes)
    stored = Group.objects.get(pk=custom_group.pk)
    assert (stored.display_name, stored.description, stored.version) == (
        "Partners",
        "Partner companies",
        1,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_update_group_refuses_system_groups(name):
    group = Group.objects.get(name=name)
    with pytest.raises(SystemGroupError):
        services.update_group(group=group, expected_version=None, display_name="Renamed")
    assert Group.objects.get(name=name).display_name == group.display_name


# delete_group


def test_delete_group_removes_memberships_and_keeps_users(custom_group, make_user):
    people = [make_user(), make_user()]
    services.add_members(group=custom_group, users=people, added_by=None)
    summary = services.delete_group(group=custom_group)
    assert summary.message("group") == "Deleted the group Partners; 2 members lost the membership."
    assert not Group.objects.filter(pk=custom_group.pk).exists()
    assert not Membership.objects.exists()
    assert User.objects.filter(pk__in=[p.pk for p in people]).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_delete_group_refuses_system_groups(name):
    with pytest.raises(SystemGroupError):
        services.delete_group(group=Group.objects.get(name=name))
    assert Group.objects.filter(name=name).exists()


# add_members


def test_add_members_adds_everyone_and_records_who_added_them(
    custom_group, make_user, administrator
):
    people = [make_user() for _ in range(3)]
    assert services.add_members(group=custom_group, users=people, added_by=administrator) == 3
    memberships = custom_group.memberships.all()
    assert {m.user_id for m in memberships} == {p.pk for p in people}
    assert {m.added_by_id for m in memberships} == {administrator.pk}


def test_add_members_twice_leaves_one_membership(custom_group, make_user):
    person = make_user()
    assert services.add_members(group=custom_group, users=[person], added_by=None) == 1
    assert services.add_members(group=custom_group, users=[person], added_by=None) == 0
    assert Membership.objects.filter(group=custom_group, user=person).count() == 1


def test_add_members_counts_only_the_new_ones(custom_group, make_user):
    old, new = make_user(), make_user()
    services.add_members(group=custom_group, users=[old], added_by=None)
    assert services.add_members(group=custom_group, users=[old, new, new], added_by=None) == 1
    assert custom_group.memberships.count() == 2


def test_add_members_with_nobody_adds_nothing(custom_group):
    assert services.add_members(group=custom_group, users=[], added_by=None) == 0
    assert not Membership.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_add_members_refuses_system_groups(name, make_user):
    with pytest.raises(SystemGroupError):
        services.add_members(group=Group.objects.get(name=name), users=[make_user()], added_by=None)
    assert not Membership.objects.exists()


# remove_member


def test_remove_member_says_whether_the_person_was_in_the_group(custom_group, make_user):
    person, bystander = make_user(), make_user()
    services.add_members(group=custom_group, users=[person, bystander], added_by=None)
    assert services.remove_member(group=custom_group, user=person) is True
    assert services.remove_member(group=custom_group, user=person) is False
    assert list(custom_group.memberships.values_list("user_id", flat=True)) == [bystander.pk]
    assert User.objects.filter(pk=person.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_remove_member_refuses_system_groups(name, make_user):
    with pytest.raises(SystemGroupError):
        services.remove_member(group=Group.objects.get(name=name), user=make_user())


# Membership model


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_membership_save_refuses_a_system_group(name, make_user):
    membership = Membership(group=Group.objects.get(name=name), user=make_user())
    with pytest.raises(SystemGroupError):
        membership.save()
    assert not Membership.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_membership_full_clean_refuses_a_system_group(name, make_user):
    membership = Membership(group=Group.objects.get(name=name), user=make_user())
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "system group" in " ".join(error.value.message_dict["group"])


def test_membership_full_clean_accepts_a_custom_group(custom_group, make_user):
    Membership(group=custom_group, user=make_user()).full_clean()


def test_membership_full_clean_refuses_a_duplicate(custom_group, make_user):
    person = make_user()
    services.add_members(group=custom_group, users=[person], added_by=None)
    with pytest.raises(ValidationError, match="already a member"):
        Membership(group=custom_group, user=person).full_clean()


# Reads the console relies on


def test_with_member_count_counts_stored_members(custom_group, make_user):
    services.add_members(group=custom_group, users=[make_user(), make_user()], added_by=None)
    services.create_group(name="empty", display_name="Empty")
    counts = dict(Group.objects.custom().with_member_count().values_list("name", "member_count"))
    assert counts == {"partners": 2, "empty": 0}


def test_for_user_includes_derived_and_stored_groups(custom_group, make_user, administrator):
    person = make_user()
    services.add_members(group=custom_group, users=[person], added_by=None)
    assert set(Group.objects.for_user(person).values_list("name", flat=True)) == {
        "developers",
        "partners",
    }
    assert set(Group.objects.for_user(administrator).values_list("name", flat=True)) == {
        "administrators",
        "developers",
    }
    person.state = User.State.BLOCKED
    assert set(Group.objects.for_user(person).values_list("name", flat=True)) == {"guests"}

"""groups.services: the writes the console, the admin and the API share."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from groups import services
from groups.models import Group, Membership, SystemGroupError
from portal.entities import ConcurrentChangeError
from portal.models import User
from tests.concurrency import run_together

SYSTEM_GROUPS = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


THREADS = 8


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
def test_create_group_refuses_duplicates_ignoring_case(partners, name, display_name):
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


def test_update_group_saves_changes_and_bumps_the_version(partners):
    updated = services.update_group(
        group=partners, expected_version=1, display_name="Partner firms", description="New"
    )
    assert updated.version == 2
    stored = Group.objects.get(pk=partners.pk)
    assert (stored.display_name, stored.description, stored.version) == (
        "Partner firms",
        "New",
        2,
    )


def test_update_group_with_a_stale_version_raises_with_the_current_row(partners):
    services.update_group(group=partners, expected_version=1, display_name="Theirs")
    stale = Group.objects.get(pk=partners.pk)
    stale.version = 1
    with pytest.raises(ConcurrentChangeError) as error:
        services.update_group(group=stale, expected_version=1, display_name="Mine")
    current = error.value.current
    assert isinstance(current, Group)
    assert (current.pk, current.display_name, current.version) == (partners.pk, "Theirs", 2)
    stored = Group.objects.get(pk=partners.pk)
    assert (stored.display_name, stored.version) == ("Theirs", 2)


def test_update_group_without_an_expected_version_always_saves(partners):
    services.update_group(group=partners, expected_version=1, display_name="First")
    services.update_group(group=partners, expected_version=None, display_name="Second")
    stored = Group.objects.get(pk=partners.pk)
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
def test_update_group_validates_and_writes_nothing_when_invalid(partners, others, changes):
    with pytest.raises(ValidationError):
        services.update_group(group=partners, expected_version=1, **changes)
    stored = Group.objects.get(pk=partners.pk)
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


def test_delete_group_removes_memberships_and_keeps_users(partners, make_user):
    people = [make_user(), make_user()]
    services.add_members(group=partners, users=people, added_by=None)
    summary = services.delete_group(group=partners)
    assert summary.message("group") == "Deleted the group Partners; 2 members lost the membership."
    assert not Group.objects.filter(pk=partners.pk).exists()
    assert not Membership.objects.exists()
    assert User.objects.filter(pk__in=[p.pk for p in people]).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_delete_group_refuses_system_groups(name):
    with pytest.raises(SystemGroupError):
        services.delete_group(group=Group.objects.get(name=name))
    assert Group.objects.filter(name=name).exists()


# add_members


def test_add_members_adds_everyone_and_records_who_added_them(partners, make_user, administrator):
    people = [make_user() for _ in range(3)]
    assert services.add_members(group=partners, users=people, added_by=administrator) == 3
    memberships = partners.memberships.all()
    assert {m.user_id for m in memberships} == {p.pk for p in people}
    assert {m.added_by_id for m in memberships} == {administrator.pk}


def test_add_members_twice_leaves_one_membership(partners, make_user):
    person = make_user()
    assert services.add_members(group=partners, users=[person], added_by=None) == 1
    assert services.add_members(group=partners, users=[person], added_by=None) == 0
    assert Membership.objects.filter(group=partners, user=person).count() == 1


def test_add_members_counts_only_the_new_ones(partners, make_user):
    old, new = make_user(), make_user()
    services.add_members(group=partners, users=[old], added_by=None)
    assert services.add_members(group=partners, users=[old, new, new], added_by=None) == 1
    assert partners.memberships.count() == 2


def test_add_members_with_nobody_adds_nothing(partners):
    assert services.add_members(group=partners, users=[], added_by=None) == 0
    assert not Membership.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_add_members_refuses_system_groups(name, make_user):
    with pytest.raises(SystemGroupError):
        services.add_members(group=Group.objects.get(name=name), users=[make_user()], added_by=None)
    assert not Membership.objects.exists()


# remove_member


def test_remove_member_says_whether_the_person_was_in_the_group(partners, make_user):
    person, bystander = make_user(), make_user()
    services.add_members(group=partners, users=[person, bystander], added_by=None)
    assert services.remove_member(group=partners, user=person) is True
    assert services.remove_member(group=partners, user=person) is False
    assert list(partners.memberships.values_list("user_id", flat=True)) == [bystander.pk]
    assert User.objects.filter(pk=person.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_remove_member_refuses_system_groups(name, make_user):
    with pytest.raises(SystemGroupError):
        services.remove_member(group=Group.objects.get(name=name), user=make_user())


# Races between administrators, on real threads with their own connections


@pytest.mark.django_db(transaction=True)
def test_add_members_racing_for_the_same_person_leaves_one_membership(make_user):
    group = services.create_group(name="racers", display_name="Racers")
    person = make_user()

    def add(_):
        return services.add_members(
            group=Group.objects.get(pk=group.pk), users=[person], added_by=None
        )

    results, errors = run_together(THREADS, add)
    assert errors == []
    assert Membership.objects.filter(group=group, user=person).count() == 1
    # Exactly one thread reports the addition, so "Added N members" is true.
    assert sorted(results) == [0] * (THREADS - 1) + [1]


@pytest.mark.django_db(transaction=True)
def test_add_members_racing_with_overlapping_people_adds_each_once(make_user):
    group = services.create_group(name="overlap", display_name="Overlap")
    people = [make_user() for _ in range(4)]

    def add(index):
        # Each thread brings a different pair, so every insert overlaps another.
        chosen = [people[index % 4], people[(index + 1) % 4]]
        return services.add_members(group=group, users=chosen, added_by=None)

    results, errors = run_together(THREADS, add)
    assert errors == []
    assert sum(results) == 4
    assert sorted(group.memberships.values_list("user_id", flat=True)) == sorted(
        person.pk for person in people
    )


@pytest.mark.django_db(transaction=True)
def test_update_group_racing_saves_with_one_version_lets_exactly_one_win():
    group = services.create_group(name="settings", display_name="Settings")

    def save(index):
        return services.update_group(
            group=Group.objects.get(pk=group.pk),
            expected_version=1,
            display_name=f"Saved by {index}",
        )

    results, errors = run_together(2, save)
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], ConcurrentChangeError)
    assert errors[0].current.version == 2
    assert errors[0].current.display_name == winners[0].display_name
    stored = Group.objects.get(pk=group.pk)
    assert (stored.display_name, stored.version) == (winners[0].display_name, 2)

"""groups.models: the Group model and its queries, system groups' protection, memberships."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from groups import services
from groups.models import Group, Membership, SystemGroupError
from groups.system import derived_group_ids, display_names
from portal.models import User

SYSTEM_GROUPS = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


# Group.objects.for_user and the counts the console shows


@pytest.mark.django_db
def test_for_user_gives_guests_to_anonymous_visitors():
    assert names(Group.objects.for_user(AnonymousUser())) == ["guests"]


@pytest.mark.django_db
def test_for_user_gives_developers_and_stored_groups(developer, partners, beta, administrator):
    assert names(Group.objects.for_user(developer)) == ["developers"]
    services.add_members(group=partners, users=[developer], added_by=administrator)
    assert names(Group.objects.for_user(developer)) == ["developers", "partners"]


@pytest.mark.django_db
def test_for_user_adds_administrators_for_superusers(administrator, beta):
    services.add_members(group=beta, users=[administrator], added_by=administrator)
    assert names(Group.objects.for_user(administrator)) == ["administrators", "beta", "developers"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["blocked_user", "pending_user"])
def test_for_user_treats_accounts_that_cannot_sign_in_as_guests(request, who, partners):
    person = request.getfixturevalue(who)
    Membership.objects.create(group=partners, user=person)
    assert names(Group.objects.for_user(person)) == ["guests"]
    assert derived_group_ids(person) == ["guests"]
    assert display_names(person) == ["Guests"]


def test_for_user_includes_derived_and_stored_groups(partners, make_user, administrator):
    person = make_user()
    services.add_members(group=partners, users=[person], added_by=None)
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


def test_with_member_count_counts_stored_members(partners, make_user):
    services.add_members(group=partners, users=[make_user(), make_user()], added_by=None)
    services.create_group(name="empty", display_name="Empty")
    counts = dict(Group.objects.custom().with_member_count().values_list("name", "member_count"))
    assert counts == {"partners": 2, "empty": 0}


# System groups can't be made, changed or deleted


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["developers", "DEVELOPERS", "Guests"])
def test_system_groups_cannot_be_created_twice(name):
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.bulk_create(
            [Group(name=name, display_name=f"Another {name}", type="system", built_in=True)]
        )


@pytest.mark.django_db
def test_a_new_group_cannot_claim_to_be_a_system_group():
    group = Group(name="sneaky", display_name="Sneaky", type=Group.Type.SYSTEM)
    with pytest.raises(ValidationError) as error:
        group.full_clean()
    assert "type" in error.value.message_dict
    with pytest.raises(SystemGroupError):
        group.save()
    assert not Group.objects.filter(name="sneaky").exists()


@pytest.mark.django_db
def test_system_groups_cannot_be_renamed():
    developers = Group.objects.get(name=Group.DEVELOPERS)
    developers.display_name = "Everyone"
    with pytest.raises(SystemGroupError, match="system group"):
        developers.save()
    assert Group.objects.get(name=Group.DEVELOPERS).display_name == "Developers"


@pytest.mark.django_db
def test_a_system_group_cannot_be_turned_into_a_custom_one():
    guests = Group.objects.get(name=Group.GUESTS)
    guests.type = Group.Type.CUSTOM
    guests.built_in = False
    with pytest.raises(SystemGroupError):
        guests.save()


@pytest.mark.django_db
def test_system_groups_cannot_be_deleted():
    with pytest.raises(SystemGroupError):
        Group.objects.get(name=Group.ADMINISTRATORS).delete()
    with pytest.raises(SystemGroupError):
        Group.objects.all().delete()
    assert Group.objects.filter(type=Group.Type.SYSTEM).count() == 3


@pytest.mark.django_db
def test_custom_groups_can_be_deleted_in_bulk():
    Group.objects.create(name="partners", display_name="Partners")
    Group.objects.custom().delete()
    assert not Group.objects.filter(name="partners").exists()


@pytest.mark.django_db
def test_group_display_names_are_unique_ignoring_case():
    Group.objects.create(name="partners", display_name="Partners")
    duplicate = Group(name="partners-2", display_name="PARTNERS")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "A group with this name already exists" in str(error.value)


# Memberships


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


def test_membership_full_clean_accepts_a_custom_group(partners, make_user):
    Membership(group=partners, user=make_user()).full_clean()


def test_membership_full_clean_refuses_a_duplicate(partners, make_user):
    person = make_user()
    services.add_members(group=partners, users=[person], added_by=None)
    with pytest.raises(ValidationError, match="already a member"):
        Membership(group=partners, user=person).full_clean()

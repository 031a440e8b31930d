from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from groups.apps import _repair_system_groups
from groups.models import Group, SystemGroupError
from groups.system import SYSTEM_GROUPS


@pytest.mark.django_db
def test_system_groups_exist_after_migrate():
    groups = {g.name: g for g in Group.objects.filter(type=Group.Type.SYSTEM)}
    assert set(groups) == {"administrators", "developers", "guests"}
    assert [groups[n].display_name for n in ("administrators", "developers", "guests")] == [
        "Administrators",
        "Developers",
        "Guests",
    ]
    for name, group in groups.items():
        assert group.built_in is True
        assert group.description == SYSTEM_GROUPS[name]["description"]
        assert "built-in group" in group.description
    assert groups["guests"].derived_membership == "Anonymous visitors"


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
def test_missing_system_groups_are_put_back_after_a_flush():
    Group.objects.filter(name=Group.GUESTS)._raw_delete("default")
    _repair_system_groups(None, using="default")
    assert Group.objects.filter(name=Group.GUESTS, built_in=True).exists()


@pytest.mark.django_db
def test_group_display_names_are_unique_ignoring_case():
    Group.objects.create(name="partners", display_name="Partners")
    duplicate = Group(name="partners-2", display_name="PARTNERS")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "A group with this name already exists" in str(error.value)


@pytest.mark.django_db
def test_support_staff_see_system_groups_read_only_in_the_admin(client, support_staff):
    from django.contrib.auth.models import Permission

    support_staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_group", "change_group", "delete_group"])
    )
    client.force_login(support_staff)
    guests = Group.objects.get(name=Group.GUESTS)
    page = client.get(f"/admin/groups/group/{guests.pk}/change/")
    assert page.status_code == 200
    assert b'name="display_name"' not in page.content
    assert (
        client.post(f"/admin/groups/group/{guests.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    client.post(
        f"/admin/groups/group/{guests.pk}/change/",
        {"display_name": "Everyone", "description": "", "external_id": ""},
    )
    assert Group.objects.get(pk=guests.pk).display_name == "Guests"

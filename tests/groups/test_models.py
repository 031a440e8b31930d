from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from groups import services
from groups.models import Group, Membership
from groups.system import derived_group_ids, display_names


@pytest.fixture
def partners(db):
    return services.create_group(name="partners", display_name="Partners")


@pytest.fixture
def beta(db):
    return services.create_group(name="beta", display_name="Beta")


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


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


@pytest.mark.django_db
def test_system_group_names_for_each_role(administrator, developer):
    assert display_names(administrator) == ["Administrators", "Developers"]
    assert display_names(developer) == ["Developers"]


@pytest.mark.django_db
def test_membership_admin_refuses_system_groups(client, support_staff, developer):
    support_staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_membership", "view_membership", "view_group", "view_user"]
        )
    )
    client.force_login(support_staff)
    developers = Group.objects.get(name=Group.DEVELOPERS)
    response = client.post(
        "/admin/groups/membership/add/", {"user": developer.pk, "group": developers.pk}
    )
    assert response.status_code == 200
    assert "is a system group" in response.content.decode()
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_membership_admin_adds_to_custom_groups(client, support_staff, developer, partners):
    support_staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_membership", "view_membership"])
    )
    client.force_login(support_staff)
    response = client.post(
        "/admin/groups/membership/add/", {"user": developer.pk, "group": partners.pk}
    )
    assert response.status_code == 302
    membership = Membership.objects.get()
    assert (membership.user, membership.group, membership.added_by) == (
        developer,
        partners,
        support_staff,
    )


@pytest.mark.django_db
def test_membership_admin_search_finds_by_email(client, administrator, developer, partners):
    services.add_members(group=partners, users=[developer], added_by=administrator)
    client.force_login(administrator)
    response = client.get("/admin/groups/membership/", {"q": "dev@example"})
    assert "dev@example.com" in response.content.decode()

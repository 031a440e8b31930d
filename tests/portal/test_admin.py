"""The Django admin goes through the same rules as the console."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from groups import services as group_services
from groups.models import Group, Membership
from products import services as product_services
from subscriptions import services as subscription_services
from subscriptions.models import Subscription


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.fixture
def partner_subscription(db, developer, administrator):
    partners = group_services.create_group(name="partners", display_name="Partners")
    group_services.add_members(group=partners, users=[developer], added_by=administrator)
    product = product_services.create_product(
        name="logistics", display_name="Logistics", state="published", groups=[partners]
    )
    return subscription_services.subscribe(developer=developer, product=product, display_name="App")


@pytest.mark.django_db
def test_removing_a_membership_in_the_admin_applies_the_access_rule(
    client, administrator, partner_subscription
):
    membership = Membership.objects.get(group__name="partners")
    client.force_login(administrator)
    response = client.post(f"/admin/groups/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    partner_subscription.refresh_from_db()
    assert partner_subscription.state == Subscription.State.SUSPENDED
    assert partner_subscription.state_comment == Subscription.ACCESS_REMOVED


@pytest.mark.django_db
def test_deleting_a_group_in_the_admin_applies_the_access_rule(
    client, administrator, partner_subscription
):
    group = Group.objects.get(name="partners")
    client.force_login(administrator)
    client.post(f"/admin/groups/group/{group.pk}/delete/", {"post": "yes"})
    assert not Group.objects.filter(name="partners").exists()
    partner_subscription.refresh_from_db()
    assert partner_subscription.state == Subscription.State.SUSPENDED


@pytest.mark.django_db
def test_blocking_in_the_admin_applies_the_access_rule(
    client, administrator, developer, partner_subscription
):
    client.force_login(administrator)
    client.post(
        f"/admin/portal/user/{developer.pk}/change/",
        {
            "email": developer.email,
            "first_name": developer.first_name,
            "last_name": developer.last_name,
            "note": "",
            "state": "blocked",
        },
    )
    developer.refresh_from_db()
    assert developer.state == "blocked"
    partner_subscription.refresh_from_db()
    assert partner_subscription.state == Subscription.State.SUSPENDED


@pytest.mark.django_db
def test_products_cannot_be_deleted_or_relinked_in_the_admin(client, administrator):
    product = product_services.create_product(name="p", display_name="P")
    client.force_login(administrator)
    assert client.get(f"/admin/products/product/{product.pk}/delete/").status_code == 403
    page = client.get(f"/admin/products/product/{product.pk}/change/").content.decode()
    assert 'name="links-0-group"' not in page


@pytest.mark.django_db
def test_support_staff_cannot_take_an_account_over(client, support_staff, developer, make_user):
    grant(support_staff, "view_user", "change_user")
    other_staff = make_user(email="other-staff@example.com", is_staff=True)
    client.force_login(support_staff)
    # No password change for anyone else.
    url = f"/admin/portal/user/{developer.pk}/password/"
    assert client.get(url).status_code == 403
    # The email a reset would go to can't be changed.
    page = client.get(f"/admin/portal/user/{developer.pk}/change/").content.decode()
    assert 'name="email"' not in page
    # Other support staff are out of reach.
    assert (
        client.post(
            f"/admin/portal/user/{other_staff.pk}/change/", {"first_name": "Hacked"}
        ).status_code
        == 403
    )
    other_staff.refresh_from_db()
    assert other_staff.first_name != "Hacked"

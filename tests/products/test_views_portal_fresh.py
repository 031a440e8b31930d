"""The developer portal's pages read sight as it is now: a removed member or a
hidden product disappears from the very next page, whatever is kept between
requests (the viewer's group ids are read once per request and kept by that
request alone, card summaries are keyed by their text)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from groups import services as group_services
from groups.models import Group, GroupMember, Membership
from products import services
from products.models import Product
from tests.conftest import shown_products

PUBLISHED = Product.State.PUBLISHED


def product_page(product):
    return reverse("portal:product", args=[product.name])


def test_a_removed_member_stops_seeing_the_product_at_once(client, member, partners, product):
    client.force_login(member)
    assert shown_products(client.get(reverse("portal:products"))) == ["payments"]
    assert shown_products(client.get(reverse("portal:landing"))) == ["payments"]
    assert client.get(product_page(product)).status_code == 200

    group_services.remove_member(group=partners, user=member)

    assert shown_products(client.get(reverse("portal:products"))) == []
    assert shown_products(client.get(reverse("portal:landing"))) == []
    assert client.get(product_page(product)).status_code == 404


def test_an_added_member_sees_the_product_at_once(client, developer, partners, product):
    client.force_login(developer)
    assert shown_products(client.get(reverse("portal:products"))) == []

    group_services.add_members(group=partners, users=[developer], added_by=None)

    assert shown_products(client.get(reverse("portal:products"))) == ["payments"]
    assert client.get(product_page(product)).status_code == 200


def test_an_unpublished_product_disappears_at_once(client, member, product):
    client.force_login(member)
    assert shown_products(client.get(reverse("portal:products"))) == ["payments"]

    services.set_state(product=product, state=Product.State.NOT_PUBLISHED)

    assert shown_products(client.get(reverse("portal:products"))) == []
    assert shown_products(client.get(reverse("portal:landing"))) == []
    assert client.get(product_page(product)).status_code == 404


def test_a_revoked_group_stops_seeing_the_product_at_once(client, member, partners, product):
    client.force_login(member)
    assert shown_products(client.get(reverse("portal:products"))) == ["payments"]

    services.revoke_access(product=product, group=partners)

    assert shown_products(client.get(reverse("portal:products"))) == []


def test_an_edited_description_shows_at_once(client, member, product):
    client.force_login(member)
    assert "Take payments" in client.get(reverse("portal:products")).content.decode()

    services.update_product(product=product, expected_version=None, description="Send *invoices*")

    page = client.get(reverse("portal:products")).content.decode()
    assert "Send invoices" in page
    assert "Take payments" not in page


# Group.objects.ids_for_user: the literal list visibility filters links by


def assert_same_groups(viewer):
    ids = Group.objects.ids_for_user(viewer)
    assert len(ids) == len(set(ids))
    assert set(ids) == set(Group.objects.for_user(viewer).values_list("pk", flat=True))


def test_ids_for_user_are_the_groups_of_for_user(
    make_user, administrator, developers, guests, partners, member
):
    outsider = make_user()
    blocked = make_user(state="blocked")
    group_services.add_members(group=partners, users=[blocked], added_by=None)
    for viewer in [
        member,
        outsider,
        blocked,
        administrator,
        AnonymousUser(),
        GroupMember(partners),
        GroupMember(guests),
        GroupMember(developers),
    ]:
        assert_same_groups(viewer)


def test_ids_for_user_leave_out_a_stored_membership_of_a_system_group(
    member, developers, guests, partners
):
    # The services refuse this; the rule holds even for a row written around them.
    Membership.objects.bulk_create([Membership(group=guests, user=member)])
    ids = Group.objects.ids_for_user(member)
    assert guests.pk not in ids
    assert set(ids) == {developers.pk, partners.pk}
    assert_same_groups(member)


def test_ids_for_user_is_one_query(member, django_assert_num_queries):
    with django_assert_num_queries(1):
        Group.objects.ids_for_user(member)

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


def test_edited_terms_and_description_show_at_once_on_the_product_page(client, member, product):
    client.force_login(member)
    client.get(product_page(product))

    services.update_product(
        product=product,
        expected_version=None,
        description="Send *invoices*",
        terms="Pay **within** 30 days",
    )

    page = client.get(product_page(product)).content.decode()
    assert "Send <em>invoices</em>" in page
    assert "Pay <strong>within</strong> 30 days" in page
    assert "Take payments" not in page


# Catalogue cards: rendered once per version of the product (the product_card tag)


def test_an_edited_card_shows_at_once_on_the_catalogue_and_the_landing_page(
    client, member, product
):
    client.force_login(member)
    for url in [reverse("portal:products"), reverse("portal:landing")]:
        assert "Payments" in client.get(url).content.decode()

    services.update_product(
        product=product, expected_version=None, display_name="Card Payments", approval_required=True
    )

    for url in [reverse("portal:products"), reverse("portal:landing")]:
        page = client.get(url).content.decode()
        assert "Card Payments" in page
        assert "Subscription, with approval" in page


def test_a_listed_card_is_not_shared_between_guests_and_signed_in_people(
    client, developer, make_product
):
    make_product("Ledger", listed=True, groups=[])
    as_guest = client.get(reverse("portal:products")).content.decode()
    client.force_login(developer)
    signed_in = client.get(reverse("portal:products")).content.decode()
    client.logout()
    guest_again = client.get(reverse("portal:products")).content.decode()

    assert "Listed — sign in to request access" in as_guest
    assert "Listed — request access" in signed_in
    assert "sign in to request access" not in signed_in
    assert "Listed — sign in to request access" in guest_again


def test_a_card_seen_then_made_visible_loses_its_listed_badge(client, developer, partners):
    ledger = services.create_product(
        name="ledger", display_name="Ledger", state=PUBLISHED, listed=True
    )
    client.force_login(developer)
    assert "Listed — request access" in client.get(reverse("portal:products")).content.decode()

    services.grant_access(product=ledger, groups=[partners], added_by=None)
    group_services.add_members(group=partners, users=[developer], added_by=None)

    page = client.get(reverse("portal:products")).content.decode()
    assert "Ledger" in page
    assert "Listed" not in page


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

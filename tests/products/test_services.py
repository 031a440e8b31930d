"""products.services: the writes behind the console and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from groups import services as group_services
from groups.models import Group
from portal.entities import ConcurrentChangeError
from products import services
from products.models import Product, ProductGroup
from subscriptions import services as subscription_services
from tests.concurrency import run_together
from tests.conftest import fresh
from tests.products.conftest import linked_groups

THREADS = 8


# create_product


def test_create_product_links_administrators(db, administrator):
    product = services.create_product(name="solo", display_name="Solo", added_by=administrator)
    assert linked_groups(product) == {Group.ADMINISTRATORS}
    link = product.links.get()
    assert link.added_by == administrator
    assert (product.state, product.version) == (Product.State.NOT_PUBLISHED, 1)
    assert product.display_name_key == "solo"


def test_create_product_links_the_given_groups_too(partners, others):
    product = services.create_product(name="wide", display_name="Wide", groups=[partners, others])
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners", "others"}


def test_create_product_links_administrators_once_when_given_them(administrators):
    product = services.create_product(name="twice", display_name="Twice", groups=[administrators])
    assert product.links.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": "d" * 1001}, "description"),
        ({"terms": "t" * 10001}, "terms"),
        ({"subscriptions_limit": 0}, "subscriptions_limit"),
        ({"subscription_required": False, "approval_required": True}, "__all__"),
        ({"name": "new"}, "name"),
        ({"name": "a b"}, "name"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 301}, "display_name"),
    ],
    ids=[
        "description-1001",
        "terms-10001",
        "limit-0",
        "approval-without-subscription",
        "reserved-id",
        "bad-id",
        "empty-name",
        "name-301",
    ],
)
def test_create_product_refuses_invalid_fields(db, fields, field):
    with pytest.raises(ValidationError) as caught:
        services.create_product(**{"name": "bad", "display_name": "Bad"} | fields)
    assert field in caught.value.message_dict
    assert not Product.objects.exists()
    assert not ProductGroup.objects.exists()


@pytest.mark.parametrize(
    ("taken", "fields"),
    [
        ({"name": "payments", "display_name": "Payments"}, {"display_name": "PAYMENTS"}),
        ({"name": "elan", "display_name": "Élan"}, {"display_name": "ÉLAN"}),
        ({"name": "payments", "display_name": "Payments"}, {"name": "PAYMENTS"}),
    ],
    ids=["name-case", "name-non-ascii-case", "id-case"],
)
def test_create_product_refuses_duplicates_whatever_the_case(db, taken, fields):
    services.create_product(**taken)
    with pytest.raises(ValidationError):
        services.create_product(**{"name": "other", "display_name": "Other"} | fields)
    assert Product.objects.count() == 1


# update_product


def test_update_product_saves_and_bumps_the_version(product):
    saved = services.update_product(
        product=product, expected_version=1, display_name="Payments v2", subscriptions_limit=3
    )
    assert (saved.display_name, saved.subscriptions_limit, saved.version) == ("Payments v2", 3, 2)
    after = fresh(product)
    assert (after.display_name, after.display_name_key, after.version) == (
        "Payments v2",
        "payments v2",
        2,
    )


def test_update_product_with_a_stale_version_raises_with_the_current_row(product):
    services.update_product(product=product, expected_version=1, display_name="Theirs")
    with pytest.raises(ConcurrentChangeError) as caught:
        services.update_product(product=product, expected_version=1, display_name="Mine")
    current = caught.value.current
    assert isinstance(current, Product)
    assert (current.pk, current.display_name, current.version) == (product.pk, "Theirs", 2)
    after = fresh(product)
    assert (after.display_name, after.version) == ("Theirs", 2)


def test_update_product_without_an_expected_version_always_saves(product):
    services.update_product(product=product, expected_version=None, display_name="First")
    services.update_product(product=product, expected_version=None, display_name="Second")
    after = fresh(product)
    assert (after.display_name, after.version) == ("Second", 3)


@pytest.mark.parametrize(
    "changes",
    [
        {"description": "d" * 1001},
        {"subscriptions_limit": 0},
        {"subscription_required": False, "approval_required": True},
    ],
    ids=["description-1001", "limit-0", "approval-without-subscription"],
)
def test_update_product_refuses_invalid_settings(product, changes):
    with pytest.raises(ValidationError):
        services.update_product(product=product, expected_version=None, **changes)
    after = fresh(product)
    assert (after.description, after.subscriptions_limit, after.version) == (
        "Take payments",
        None,
        1,
    )
    assert (after.subscription_required, after.approval_required) == (True, False)


def test_update_product_refuses_a_name_another_product_has(product):
    services.create_product(name="billing", display_name="Billing")
    with pytest.raises(ValidationError):
        services.update_product(product=product, expected_version=None, display_name="BILLING")
    assert fresh(product).display_name == "Payments"


# set_state


def test_set_state_publishes_and_unpublishes(make_product):
    draft = make_product("Draft", state=Product.State.NOT_PUBLISHED)
    published = services.set_state(product=draft, state=Product.State.PUBLISHED)
    assert published.is_published
    assert fresh(draft).state == Product.State.PUBLISHED
    services.set_state(product=draft, state=Product.State.NOT_PUBLISHED)
    after = fresh(draft)
    assert (after.state, after.version) == (Product.State.NOT_PUBLISHED, 3)
    assert linked_groups(after) == {Group.ADMINISTRATORS, "partners"}


@pytest.mark.parametrize("state", [Product.State.PUBLISHED, Product.State.NOT_PUBLISHED])
def test_set_state_refuses_an_unknown_state(make_product, state):
    product = make_product("Payments", state=state)
    with pytest.raises(ValidationError):
        services.set_state(product=product, state="archived")
    assert (fresh(product).state, fresh(product).version) == (state, 1)


# delete_product


def test_delete_product_reports_and_removes_the_links_not_the_groups(product, partners):
    kept = services.create_product(name="kept", display_name="Kept", groups=[partners])
    summary = subscription_services.delete_product(product=product)
    assert summary.message("product") == "Deleted the product Payments; 2 groups lost access to it."
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not ProductGroup.objects.filter(product_id=product.pk).exists()
    assert Group.objects.filter(name__in=["partners", Group.ADMINISTRATORS]).count() == 2
    assert linked_groups(kept) == {Group.ADMINISTRATORS, "partners"}


# grant_access and revoke_access


def test_grant_access_returns_how_many_were_newly_linked(product, partners, others, developers):
    added = services.grant_access(
        product=product, groups=[partners, others, developers], added_by=None
    )
    assert added == 2
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners", "others", "developers"}


def test_grant_access_is_idempotent(product, others, administrator):
    assert services.grant_access(product=product, groups=[others], added_by=administrator) == 1
    assert services.grant_access(product=product, groups=[others], added_by=None) == 0
    assert services.grant_access(product=product, groups=[others, others], added_by=None) == 0
    links = ProductGroup.objects.filter(product=product, group=others)
    assert links.count() == 1
    # The first grant is kept, with who made it.
    assert links.get().added_by == administrator


def test_grant_access_counts_a_repeated_group_once(product, others):
    assert services.grant_access(product=product, groups=[others, others], added_by=None) == 1
    assert ProductGroup.objects.filter(product=product, group=others).count() == 1


def test_grant_access_with_no_groups_adds_nothing(product):
    assert services.grant_access(product=product, groups=[], added_by=None) == 0
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners"}


def test_revoke_access_removes_the_link(product, partners):
    assert services.revoke_access(product=product, group=partners) is True
    assert linked_groups(product) == {Group.ADMINISTRATORS}
    assert Group.objects.filter(pk=partners.pk).exists()


def test_revoke_access_without_a_link_returns_false(product, others):
    assert services.revoke_access(product=product, group=others) is False
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners"}


def test_revoke_access_refuses_administrators(product, administrators):
    with pytest.raises(ValidationError) as caught:
        services.revoke_access(product=product, group=administrators)
    assert caught.value.code == "administrators"
    assert linked_groups(product) == {Group.ADMINISTRATORS, "partners"}


def test_revoke_access_leaves_other_products_alone(product, partners):
    other = services.create_product(name="other", display_name="Other", groups=[partners])
    services.revoke_access(product=product, group=partners)
    assert linked_groups(other) == {Group.ADMINISTRATORS, "partners"}


# Races, on real threads with their own connections


@pytest.mark.django_db(transaction=True)
def test_grant_access_racing_for_the_same_group_leaves_one_link():
    product = services.create_product(name="racing", display_name="Racing")
    group = group_services.create_group(name="racers", display_name="Racers")

    def grant(_):
        return services.grant_access(product=product, groups=[group], added_by=None)

    results, errors = run_together(THREADS, grant)
    assert errors == []
    assert ProductGroup.objects.filter(product=product, group=group).count() == 1
    # Exactly one thread reports the new link, so "can now see" is said once.
    assert sorted(results) == [0] * (THREADS - 1) + [1]


@pytest.mark.django_db(transaction=True)
def test_grant_access_racing_with_overlapping_groups_links_each_once():
    product = services.create_product(name="overlap", display_name="Overlap")
    groups = [
        group_services.create_group(name=f"team-{n}", display_name=f"Team {n}") for n in range(4)
    ]

    def grant(index):
        # Each thread brings a different pair, so every insert overlaps another.
        chosen = [groups[index % 4], groups[(index + 1) % 4]]
        return services.grant_access(product=product, groups=chosen, added_by=None)

    results, errors = run_together(THREADS, grant)
    assert errors == []
    assert sum(results) == 4
    assert linked_groups(product) == {Group.ADMINISTRATORS, *(group.name for group in groups)}


@pytest.mark.django_db(transaction=True)
def test_update_product_racing_saves_with_one_version_lets_exactly_one_win():
    product = services.create_product(name="settings", display_name="Settings")

    def save(index):
        return services.update_product(
            product=Product.objects.get(pk=product.pk),
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
    after = fresh(product)
    assert (after.display_name, after.version) == (winners[0].display_name, 2)


def test_set_state_to_the_state_it_has_is_no_new_version(make_product):
    product = make_product("Steady", state=Product.State.PUBLISHED)
    services.set_state(product=product, state=Product.State.PUBLISHED)
    assert fresh(product).version == product.version

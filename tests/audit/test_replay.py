"""Replaying the activity record from empty rebuilds today's memberships,
product access, products' and people's states and subscriptions' states:
random sequences of changes made through the services, then a replay
compared with the rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import Record
from audit.replay import replay
from groups import services as group_services
from groups.models import Group, Membership
from portal import services as people
from portal.models import User
from products import services as product_services
from products.models import Product, ProductGroup
from subscriptions import history
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

OPERATIONS = [
    "user",
    "group",
    "product",
    "join",
    "leave",
    "grant",
    "revoke",
    "publish",
    "unpublish",
    "delete_group",
    "block",
    "unblock",
    "promote",
    "demote",
    "subscribe",
    "suspend",
    "activate",
    "cancel",
    "delete_user",
    "delete_product",
]
STEP = st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 50), st.integers(0, 50))


def pick(rows: list[Any], index: int) -> Any:
    return rows[index % len(rows)] if rows else None


class World:
    """Makes one change of the drawn kind, through the services, to rows that exist."""

    def __init__(self) -> None:
        self.count = 0

    def step(self, kind: str, a: int, b: int) -> None:
        self.count += 1
        n = self.count
        users = list(User.objects.order_by("pk"))
        groups = list(Group.objects.exclude(type=Group.Type.SYSTEM).order_by("pk"))
        every_group = list(Group.objects.order_by("pk"))
        products = list(Product.objects.order_by("pk"))
        subscriptions = list(Subscription.objects.order_by("pk"))
        user, group, product = pick(users, a), pick(groups, b), pick(products, a + b)
        subscription = pick(subscriptions, b)
        if kind == "user":
            people.create_user(
                email=f"p{n}@example.com", first_name="", last_name="", password=None
            )
        elif kind == "group":
            group_services.create_group(name=f"g{n}", display_name=f"Group {n}")
        elif kind == "product":
            product_services.create_product(
                name=f"p{n}", display_name=f"Product {n}", state=Product.State.PUBLISHED
            )
        elif kind == "join" and group and user:
            group_services.add_members(group=group, users=[user], added_by=None)
        elif kind == "leave" and group and user:
            group_services.remove_member(group=group, user=user)
        elif kind == "grant" and product:
            product_services.grant_access(
                product=product, groups=[pick(every_group, b)], added_by=None
            )
        elif kind == "revoke" and product:
            product_services.revoke_access(product=product, group=pick(every_group, b))
        elif kind in ("publish", "unpublish") and product:
            state = Product.State.PUBLISHED if kind == "publish" else Product.State.NOT_PUBLISHED
            product_services.set_state(product=product, state=state)
        elif kind == "delete_group" and group:
            group_services.delete_group(group=group)
        elif kind == "block" and user:
            people.block_user(user=user, actor=None)
        elif kind == "unblock" and user:
            people.unblock_user(user=user)
        elif kind in ("promote", "demote") and user:
            people.update_user(user=user, actor=None, is_superuser=kind == "promote")
        elif kind == "subscribe" and user and product:
            subscription_services.create_subscription(
                sid=f"s{n}",
                owner=user,
                product=product,
                display_name=f"Key {n}",
                actor=None,
            )
        elif kind in ("suspend", "activate", "cancel") and subscription:
            subscription_services.change_state(subscription=subscription, action=kind)
        elif kind == "delete_user" and user:
            subscription_services.delete_user(user=user, actor=None, delete_subscriptions=True)
        elif kind == "delete_product" and product:
            subscription_services.delete_product(product=product, delete_subscriptions=True)


def assert_replay_matches_the_rows() -> None:
    state = replay(Record.objects.order_by("id"))
    custom = Membership.objects.exclude(group__type=Group.Type.SYSTEM)
    assert state.linked("member") == {
        (str(g), str(u)) for g, u in custom.values_list("group", "user")
    }
    assert state.linked("access") == {
        (str(p), str(g)) for p, g in ProductGroup.objects.values_list("product", "group")
    }
    for pk, value in Product.objects.values_list("pk", "state"):
        assert state.value("product", pk, "state") == value
    for pk, value, superuser in User.objects.values_list("pk", "state", "is_superuser"):
        assert state.value("user", pk, "state") == value
        assert bool(state.value("user", pk, "is_superuser")) == superuser
    for pk, value in Subscription.objects.values_list("pk", "state"):
        assert state.value("subscription", pk, "state") == value
    # Access as of now answers as the visibility rule does, for everyone.
    now = timezone.now()
    for person in User.objects.all():
        rebuilt = {row.product_id for row in history.person_as_of(person, now).seen}
        assert rebuilt == {
            str(pk) for pk in Product.objects.visible_to(person).values_list("pk", flat=True)
        }
        for product in Product.objects.all():
            then = history.product_as_of(product, now)
            named = person.pk in {int(viewer.user_id) for viewer in then.viewers}
            # The built-in groups stand for everyone signed in, or everyone else.
            built_in = then.every_developer if person.is_active else then.every_visitor
            assert (named or built_in) == Product.objects.visible_to(person).filter(
                pk=product.pk
            ).exists()
    # Deleted rows are gone from the replay too.
    for kind, model in (("product", Product), ("user", User), ("subscription", Subscription)):
        replayed = {pk for (k, pk) in state.entities if k == kind}
        assert replayed == {str(pk) for pk in model.objects.values_list("pk", flat=True)}


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=5, max_size=30))
def test_replaying_the_record_rebuilds_todays_rows(steps):
    with transaction.atomic():
        world = World()
        # Every example starts with people, groups and products to change.
        for kind in ("user", "user", "group", "product", "user", "group"):
            world.step(kind, 0, 0)
        for kind, a, b in steps:
            try:
                with transaction.atomic():
                    world.step(kind, a, b)
            except ValidationError:
                pass  # a refused change (a rule said no) writes nothing, record included
        assert_replay_matches_the_rows()
        transaction.set_rollback(True)

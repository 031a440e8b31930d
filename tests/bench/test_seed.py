from __future__ import annotations

import pytest

from bench import seed_large
from groups.models import Membership
from portal.models import User
from products.models import Product
from subscriptions.models import Subscription

PARAMS = {"users": 400, "groups": 250, "memberships": 2_500, "products": 40}


@pytest.mark.django_db(transaction=True)
def test_seed_gives_a_developer_200_groups_and_subscriptions_their_owners_see():
    seed_large.seed(**PARAMS)
    developer = User.objects.get(email=seed_large.DEVELOPER_EMAIL)
    assert Membership.objects.filter(user=developer).count() == 200
    active = Subscription.objects.filter(state="active").select_related("owner", "product")
    assert active.count() == PARAMS["users"] // 10
    assert (
        Subscription.objects.filter(state="submitted").count() == seed_large.WAITING_SUBSCRIPTIONS
    )
    for subscription in active:
        assert subscription.owner.state == "active"
        assert (
            Product.objects.visible_to(subscription.owner)
            .filter(pk=subscription.product_id)
            .exists()
        )
    # Both catalogues list something: Developers and Guests see published products.
    for system_group in ("developers", "guests"):
        assert Product.objects.filter(state="published", groups__name=system_group).exists()


@pytest.mark.django_db
def test_reusable_only_for_the_same_seed_and_known_migrations():
    params = seed_large.SCALES["tiny"]
    applied = sorted(seed_large.migrations_on_disk())[:3]
    stored = {**seed_large.wanted_marker(params), "migrations": applied}
    assert seed_large.reusable(stored, params)
    assert not seed_large.reusable(None, params)
    assert not seed_large.reusable(stored, seed_large.SCALES["tenth"])
    assert not seed_large.reusable({**stored, "version": seed_large.SEED_VERSION - 1}, params)
    # A migration applied then and gone since (renumbered at a merge).
    assert not seed_large.reusable({**stored, "migrations": [*applied, "portal.9999_gone"]}, params)

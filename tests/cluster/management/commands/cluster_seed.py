"""Seed the cross-node test's data and print what the test needs, as JSON.

manage.py cluster_seed base --password P        an administrator, a developer in a
                                                 group that sees a product, and the
                                                 developer's key to that product
manage.py cluster_seed bulk --developers D --per-developer S
                                                 D developers with S subscriptions each to
                                                 a product their group sees; then the
                                                 group's access is taken away and the
                                                 access rule left to a background job
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from groups.models import Group, Membership
from portal.models import User
from products import services as product_services
from subscriptions.models import Subscription, new_subscription_key

ADMIN_EMAIL = "admin@cluster.example"
# One developer is blocked, the other's key is checked after a visibility change.
BLOCKED_EMAIL = "blocked@cluster.example"
KEY_OWNER_EMAIL = "key-owner@cluster.example"


class Command(BaseCommand):
    help = "Seed the cross-node test's data (tests/cluster)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("what", choices=["base", "bulk"])
        parser.add_argument("--password", default="")
        parser.add_argument("--developers", type=int, default=40)
        parser.add_argument("--per-developer", type=int, default=250)

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        if what == "base":
            result = self._base(options["password"])
        else:
            result = self._bulk(options["developers"], options["per_developer"])
        self.stdout.write(json.dumps(result))

    def _base(self, password: str) -> dict[str, Any]:
        User.objects.create_superuser(ADMIN_EMAIL, password)
        blocked = User.objects.create_user(BLOCKED_EMAIL, password)
        developer = User.objects.create_user(KEY_OWNER_EMAIL, password)
        group = Group.objects.create(name="partners", display_name="Partners")
        Membership.objects.bulk_create(
            Membership(group=group, user=person) for person in (blocked, developer)
        )
        product = product_services.create_product(
            name="cluster-product",
            display_name="Cluster product",
            state="published",
            groups=[group],
        )
        subscription = Subscription.objects.create(
            owner=developer,
            product=product,
            display_name="cluster key",
            state=Subscription.State.ACTIVE,
            primary_secret=new_subscription_key(),
            secondary_secret=new_subscription_key(),
        )
        return {
            "admin": ADMIN_EMAIL,
            "blocked": BLOCKED_EMAIL,
            "blocked_id": blocked.pk,
            "group": group.name,
            "product": product.name,
            "key": subscription.primary_secret,
        }

    def _bulk(self, developers: int, per_developer: int) -> dict[str, Any]:
        group = Group.objects.create(name="bulk", display_name="Bulk")
        product = product_services.create_product(
            name="bulk-product", display_name="Bulk product", state="published", groups=[group]
        )
        unusable = make_password(None)
        people = User.objects.bulk_create(
            User(email=f"bulk-{n:04d}@cluster.example", password=unusable)
            for n in range(developers)
        )
        Membership.objects.bulk_create(Membership(group=group, user=person) for person in people)
        Subscription.objects.bulk_create(
            (
                Subscription(
                    owner=person,
                    product=product,
                    display_name=f"bulk-{n * per_developer + k:05d}",
                    state=Subscription.State.ACTIVE,
                    primary_secret=new_subscription_key(),
                    secondary_secret=new_subscription_key(),
                )
                for n, person in enumerate(people)
                for k in range(per_developer)
            ),
            batch_size=1000,
        )
        return {"product_id": product.pk}

"""Seed the key-check benchmarks: 10,000 active subscriptions to the product `bench`,
which contains the API `bench-api`, and 1,000 to that API alone.

Run as `manage.py shell -v0 < bench/seed_keys.py`; prints a valid product key, then a
valid key of a subscription to the API alone.
"""

from __future__ import annotations

from apis import documents
from apis import services as api_services
from groups.models import Group
from portal.models import User
from products import services
from subscriptions.models import Subscription, new_subscription_key

owner = User.objects.create_user("bench-dev@example.com", None)
# Developers see it: putting the API in it re-checks who may keep their keys.
product = services.create_product(
    name="bench",
    display_name="Bench",
    state="published",
    groups=[Group.objects.get(name=Group.DEVELOPERS)],
)
Subscription.objects.bulk_create(
    Subscription(
        owner=owner,
        product=product,
        display_name=f"s{i}",
        state="active",
        primary_secret=new_subscription_key(),
        secondary_secret=new_subscription_key(),
    )
    for i in range(10_000)
)
api = api_services.create_api(
    document=documents.read(
        '{"openapi": "3.0.3", "info": {"title": "Bench API", "version": "1"}, "paths": {}}'
    ),
    name="bench-api",
    path="bench",
)
api_services.add_apis(product=product, apis=[api], added_by=None)
Subscription.objects.bulk_create(
    Subscription(
        owner=owner,
        api=api,
        display_name=f"a{i}",
        state="active",
        primary_secret=new_subscription_key(),
        secondary_secret=new_subscription_key(),
    )
    for i in range(1_000)
)
print(Subscription.objects.filter(product=product).order_by("?").first().primary_secret)
print(Subscription.objects.filter(api=api).order_by("?").first().primary_secret)

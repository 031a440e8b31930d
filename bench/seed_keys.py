"""Seed the key-check benchmarks: 10,000 active subscriptions to the product `bench`.

Run as `manage.py shell -v0 < bench/seed_keys.py`; prints one valid key.
"""

from __future__ import annotations

from portal.models import User
from products import services
from subscriptions.models import Subscription, new_subscription_key

owner = User.objects.create_user("bench-dev@example.com", None)
product = services.create_product(name="bench", display_name="Bench", state="published")
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
print(Subscription.objects.order_by("?").first().primary_secret)

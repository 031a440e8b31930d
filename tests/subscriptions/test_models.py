"""subscriptions.models: a subscription's keys stay out of how it is shown."""

from __future__ import annotations

from subscriptions import services as subscription_services
from tests.conftest import fresh


def test_keys_are_not_in_str_or_repr(member, product):
    subscription = fresh(
        subscription_services.subscribe(developer=member, product=product, display_name="App")
    )
    for text in (str(subscription), repr(subscription)):
        assert subscription.primary_secret not in text
        assert subscription.secondary_secret not in text
    assert subscription.sid in str(subscription)

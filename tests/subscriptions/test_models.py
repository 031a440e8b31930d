"""subscriptions.models: a subscription's keys stay out of how it is shown, and its ID reads
as it is."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import fresh


def test_keys_are_not_in_str_or_repr(member, product):
    subscription = fresh(
        subscription_services.subscribe(developer=member, product=product, display_name="App")
    )
    for text in (str(subscription), repr(subscription)):
        assert subscription.primary_secret not in text
        assert subscription.secondary_secret not in text
    assert subscription.sid in str(subscription)


@pytest.mark.parametrize(
    "sid",
    [
        ".",
        "..",
        "...",
        "invoice\u202etxt.exe",
        "dev\u200blogistics",
        "soft\u00adhyphen",
        "bell\x07",
        "private\ue000use",
        "unassigned\U000e0080",
        # Blank though not filed as control or format characters.
        "hangul\u3164filler",
        "braille\u2800blank",
        "grapheme\u034fjoiner",
        "half\uffa0width",
        "variation\ufe0fselector",
    ],
)
def test_an_id_that_does_not_read_as_it_is_is_invalid(member, product, sid):
    subscription = Subscription(sid=sid, owner=member, product=product, display_name="App")
    with pytest.raises(ValidationError) as refused:
        subscription.full_clean()
    assert list(refused.value.message_dict) == ["sid"]


@pytest.mark.parametrize("sid", ["a.b", "v1.2", ".well-known", "app..v2", "café"])
def test_an_ordinary_id_with_dots_is_valid(member, product, sid):
    Subscription(sid=sid, owner=member, product=product, display_name="App").full_clean()

"""portal.context_processors: the console's menu and its count of waiting requests."""

from __future__ import annotations

from django.urls import reverse


def test_console_menu_shows_how_many_wait(
    client, administrator, member, make_product, make_subscription
):
    needs_approval = make_product(approval_required=True)
    for _ in range(3):
        make_subscription(member, needs_approval, "submitted")
    make_subscription(member, needs_approval, "active")
    make_subscription(member, needs_approval, "rejected")
    client.force_login(administrator)
    for url in (reverse("console:home"), reverse("subscriptions:list")):
        text = client.get(url).content.decode()
        assert '3<span class="visually-hidden"> waiting</span>' in text


def test_console_menu_shows_no_badge_when_nothing_waits(client, administrator):
    client.force_login(administrator)
    assert "> waiting</span>" not in client.get(reverse("console:home")).content.decode()

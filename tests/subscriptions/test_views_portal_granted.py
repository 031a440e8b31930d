"""subscriptions.views.portal: a subscription an administrator granted on a product the
developer can't see, as their profile shows it."""

from __future__ import annotations

from django.urls import reverse

from subscriptions import services


def test_the_profile_shows_a_grant_beyond_sight_with_keys_and_no_link_to_a_404(
    client, administrator, member, product, make_product, beta, django_assert_max_num_queries
):
    hidden = make_product("Hidden Gems", groups=[beta])
    granted = services.create_subscription(
        sid="given", owner=member, product=hidden, display_name="Given", actor=administrator
    )
    services.subscribe(developer=member, product=product, display_name="Mine")
    client.force_login(member)
    # Warm: the menus' pages are read once, then from the shared cache.
    client.get(reverse("portal:profile"), {"show": "given"})
    # 1. the session 2. the user 3. the subscriptions 4. their groups (a literal
    # list for visibility) 5. which of their products they see
    # 6. their requests to join groups 7. their requests for access to products
    # 8. the menus' pages from the shared cache (none with Redis)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("portal:profile"), {"show": "given"}).content.decode()
    assert granted.primary_secret in body and granted.secondary_secret in body
    assert "Hidden Gems" in body
    assert reverse("portal:product", args=["hidden-gems"]) not in body
    assert f'<a href="{reverse("portal:product", args=["payments"])}">Payments</a>' in body
    assert client.get(reverse("portal:product", args=["hidden-gems"])).status_code == 404

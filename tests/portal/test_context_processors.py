"""portal.context_processors: the console's menu and its count of waiting requests."""

from __future__ import annotations

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import approvals, services
from portal.models import SignUpSettings, User
from subscriptions import services as subscription_services
from tests.conftest import fresh


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


# --- The badge comes from the shared cache, and changes as soon as an item does ------------

BADGE = '<span class="visually-hidden"> waiting</span>'


def badge_of(client):
    text = client.get(reverse("console:home")).content.decode()
    if BADGE not in text:
        return 0
    return int(text.split(BADGE)[0].rsplit(">", 1)[1])


def test_the_badge_is_counted_once_while_nothing_changes(
    client, administrator, member, make_product, make_subscription
):
    make_subscription(member, make_product(approval_required=True), "submitted")
    client.force_login(administrator)
    assert badge_of(client) == 1
    with CaptureQueriesContext(connection) as queries:
        assert badge_of(client) == 1
    assert not [query for query in queries if "UNION" in query["sql"] or "pending" in query["sql"]]


def test_an_item_entering_or_leaving_waiting_shows_at_once(
    client, administrator, member, make_product, make_user
):
    client.force_login(administrator)
    assert badge_of(client) == 0
    ledger = make_product("Ledger", approval_required=True)
    waiting = subscription_services.subscribe(developer=member, product=ledger, display_name="B")
    assert badge_of(client) == 1
    SignUpSettings.objects.update_or_create(pk=1, defaults={"approval": True})
    sign_up = make_user(state=User.State.PENDING)
    assert badge_of(client) == 1  # email not confirmed yet: not waiting
    services.confirm_signup(user=sign_up)
    assert badge_of(client) == 2
    subscription_services.change_state(subscription=waiting, action="approve")
    assert badge_of(client) == 1
    services.approve_signup(user=fresh(sign_up))
    assert badge_of(client) == 0
    second = subscription_services.subscribe(developer=member, product=ledger, display_name="C")
    assert badge_of(client) == 1
    subscription_services.delete_subscription(subscription=second)
    assert badge_of(client) == 0


def test_a_count_taken_before_a_change_and_stored_after_it_is_not_shown(
    client, administrator, member, make_product, make_subscription
):
    client.force_login(administrator)
    assert badge_of(client) == 0
    # A request counted "0" just before the item arrived, and stored it just after.
    cache = caches["shared"]
    before = cache.get(approvals.BADGE.generation_key)
    make_subscription(member, make_product(approval_required=True), "submitted")
    cache.set(approvals.BADGE.key, (before, 0))
    assert badge_of(client) == 1


def test_a_sign_in_does_not_recount_the_badge(administrator, member):
    approvals.waiting_count()
    cache = caches["shared"]
    before = cache.get(approvals.BADGE.generation_key)
    member.last_login = timezone.now()
    member.save(update_fields=["last_login"])
    assert cache.get(approvals.BADGE.generation_key) == before
    member.state = User.State.BLOCKED
    member.save(update_fields=["state"])
    assert cache.get(approvals.BADGE.generation_key) != before

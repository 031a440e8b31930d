"""Counts kept in the shared cache: read once, counted again the moment they change."""

from __future__ import annotations

import re
import uuid

from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import counts, services
from portal.models import User


def developers_on_product_page(client, product):
    text = client.get(reverse("products:detail", args=[product.name])).content.decode()
    found = re.search(r"(\d+) \(all signed-in developers\)", text)
    assert found, "the product page names how many developers see it"
    return int(found.group(1))


def test_the_active_count_is_counted_once_while_nothing_changes(administrator, member):
    assert counts.active_people() == User.objects.active().count()
    with CaptureQueriesContext(connection) as queries:
        assert counts.active_people() == User.objects.active().count()
    counted = [q for q in queries if "COUNT" in q["sql"] and "portal_user" in q["sql"]]
    # The assertion's own COUNT, not the cached one's.
    assert len(counted) == 1


def test_blocking_creating_and_deleting_show_at_once_on_a_product_page(
    client, administrator, member, outsider, make_product, developers
):
    product = make_product("Open", groups=[developers])
    client.force_login(administrator)
    before = developers_on_product_page(client, product)
    assert before == User.objects.active().count()
    services.block_user(user=member, actor=administrator)
    assert developers_on_product_page(client, product) == before - 1
    services.unblock_user(user=User.objects.get(pk=member.pk))
    assert developers_on_product_page(client, product) == before
    newcomer = services.create_user(
        email="new@example.com", first_name="N", last_name="P", password="a-long-password-1"
    )
    newcomer_active = User.objects.get(pk=newcomer.pk).is_active
    assert developers_on_product_page(client, product) == before + int(newcomer_active)
    services.delete_user(user=User.objects.get(pk=outsider.pk), actor=administrator)
    assert developers_on_product_page(client, product) == before + int(newcomer_active) - 1


def test_a_count_taken_before_a_change_and_stored_after_it_is_not_shown(administrator, member):
    assert counts.active_people() == 2
    cache = caches["shared"]
    generation_then = cache.get(counts.ACTIVE_PEOPLE.generation_key)
    member.state = User.State.BLOCKED
    member.save(update_fields=["state"])
    # A request counted 2 just before the block and stored it just after.
    cache.set(counts.ACTIVE_PEOPLE.key, (generation_then, 2))
    assert counts.active_people() == 1


def test_a_sign_in_leaves_the_count_alone(administrator, member):
    counts.active_people()
    cache = caches["shared"]
    generation = cache.get(counts.ACTIVE_PEOPLE.generation_key)
    member.save(update_fields=["last_login"])
    assert cache.get(counts.ACTIVE_PEOPLE.generation_key) == generation


def test_with_redis_a_count_taken_before_the_commit_is_retired_by_it(
    settings, redis_url, administrator, member, django_capture_on_commit_callbacks
):
    settings.CACHES = settings.CACHES | {
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url.rsplit("/", 1)[0] + "/12",
            "KEY_PREFIX": f"counts-{uuid.uuid4().hex}",
        }
    }
    cache = caches["shared"]
    assert counts.active_people() == 2
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        member.state = User.State.BLOCKED
        member.save(update_fields=["state"])
        # Another node reads the new generation before the block commits,
        # counts the rows it can see (2) and stores that.
        cache.set(counts.ACTIVE_PEOPLE.key, (cache.get(counts.ACTIVE_PEOPLE.generation_key), 2))
        assert counts.active_people() == 2
    assert counts.active_people() == 1


def test_the_overview_counts_accounts_added_and_deleted_at_once(client, administrator, member):
    client.force_login(administrator)

    def users_on_overview():
        text = client.get(reverse("console:home")).content.decode()
        found = re.search(r'stat-value">(\d+)</div>\s*<div [^>]*>Users<', text)
        assert found, "the Overview shows how many users there are"
        return int(found.group(1))

    before = users_on_overview()
    assert before == User.objects.count()
    newcomer = services.create_user(
        email="new@example.com", first_name="N", last_name="P", password="a-long-password-1"
    )
    assert users_on_overview() == before + 1
    services.delete_user(user=User.objects.get(pk=newcomer.pk), actor=administrator)
    assert users_on_overview() == before


def test_a_redis_that_does_not_answer_costs_the_count_not_the_change(
    settings, administrator, member, caplog
):
    # A port nothing listens on: every cache call fails at once.
    settings.CACHES = settings.CACHES | {
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    assert counts.active_people() == User.objects.active().count()
    # The block (a change the count listens to) goes through.
    member.state = User.State.BLOCKED
    member.save(update_fields=["state"])
    member.refresh_from_db()
    assert member.state == User.State.BLOCKED
    assert counts.active_people() == User.objects.active().count()
    assert "shared cache did not answer" in caplog.text

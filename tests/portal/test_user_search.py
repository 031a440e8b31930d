"""Searching people (UserQuerySet.search) and, on SQLite, the trigram index behind it."""

from __future__ import annotations

from functools import reduce
from operator import and_

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Q
from django.db.models.signals import post_migrate
from django.urls import reverse

from groups.models import Membership
from portal import user_search
from portal.models import User

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("ada@example.com", "Ada", "Lovelace"),
    ("alan@example.org", "Alan", "Turing"),
    ("elodie@exemple.fr", "Élodie", "Durand"),
    ("pct@example.com", "Half", "50%off"),
    ("under@example.com", "Under_score", "Person"),
    ("plain@example.com", "Underscore", "Person"),
    ("quote@example.com", 'Jo"hn', "O'Brien"),
    ("near@example.com", "NEAR(x", "AND*"),
]


@pytest.fixture
def people(make_user):
    return {
        email: make_user(email=email, first_name=first, last_name=last)
        for email, first, last in PEOPLE
    }


def found(query: str) -> list[str]:
    return sorted(User.objects.search(query).values_list("email", flat=True))


def like_alone(query: str) -> list[str]:
    """What search found before the index: every word in one of the fields, per LIKE."""
    words = query.split()[:5]
    each = [
        Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        for word in words
    ]
    rows = User.objects.filter(reduce(and_, each)) if each else User.objects.all()
    return sorted(rows.values_list("email", flat=True))


QUERIES = [
    ("ada", ["ada@example.com"]),
    ("ADA", ["ada@example.com"]),
    ("lovelace ada", ["ada@example.com"]),
    ("  lovelace   ADA@EX  ", ["ada@example.com"]),
    ("ada turing", []),
    ("example.org", ["alan@example.org"]),
    ("Élodie", ["elodie@exemple.fr"]),
    ("lodie", ["elodie@exemple.fr"]),
    ("50%", ["pct@example.com"]),
    ("%", ["pct@example.com"]),
    ("_", ["under@example.com"]),
    ("r_s", ["under@example.com"]),
    ('jo"h', ["quote@example.com"]),
    ('"', ["quote@example.com"]),
    ("o'brien", ["quote@example.com"]),
    ("near(", ["near@example.com"]),
    ("and*", ["near@example.com"]),
    # FTS5's operators are words like any other.
    ("AND", ["elodie@exemple.fr", "near@example.com"]),
    ("ORG", ["alan@example.org"]),
    # Words of under three characters: LIKE alone.
    ("ov", ["ada@example.com"]),
    ("ov lovelace", ["ada@example.com"]),
    ("ov turing", []),
    ("nobody-like-this", []),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_search_finds_every_word_in_one_field(people, query, expected):
    assert found(query) == expected
    assert found(query) == like_alone(query)


def test_search_ignores_case_as_like_does(people):
    # LIKE folds A-Z on SQLite, every letter on PostgreSQL; the index
    # (which folds every letter) does not change that.
    assert found("ÉLODIE") == like_alone("ÉLODIE")
    assert found("élodie") == like_alone("élodie")


def test_a_blank_search_finds_everyone(people):
    assert found("   ") == sorted(email for email, _, _ in PEOPLE)


def test_many_matches_are_found_without_the_index(people, monkeypatch):
    # Over FEW matches, the index steps aside and LIKE alone decides.
    monkeypatch.setattr(user_search, "FEW", 2)
    assert found("example") == like_alone("example")
    assert len(found("example")) > 2
    assert found("ada") == ["ada@example.com"]


def test_search_stays_in_step_with_creates_updates_and_deletes(people, make_user):
    person = make_user(email="grace@example.com", first_name="Grace", last_name="Hopper")
    assert found("hopper") == ["grace@example.com"]
    person.last_name = "Brewster"
    person.save()
    assert found("hopper") == []
    assert found("brewster") == ["grace@example.com"]
    User.objects.filter(pk=person.pk).update(email="gmh@example.net")
    assert found("example.net") == ["gmh@example.net"]
    person.delete()
    assert found("brewster") == []
    if connection.vendor == "sqlite":
        # The index itself holds no trace of the deleted account.
        assert user_search.few_matching_ids(connection, ["brewster"]) == []
        assert user_search.few_matching_ids(connection, ["lovelace"]) == [
            people["ada@example.com"].pk
        ]


def test_a_migration_that_drops_the_triggers_is_repaired(people):
    """Django changes a column on SQLite by copying the table, which drops its triggers."""
    if connection.vendor != "sqlite":
        assert user_search.repair(connection) is False
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {user_search.TABLE}_update")
    ada = people["ada@example.com"]
    ada.last_name = "Byron"
    ada.save()
    assert found("byron") == []  # the index missed the change
    post_migrate.send(
        sender=apps.get_app_config("portal"),
        app_config=apps.get_app_config("portal"),
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )
    assert found("byron") == ["ada@example.com"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [f"{user_search.TABLE}%"],
        )
        assert cursor.fetchone()[0] == 3


def test_user_search_queries_do_not_grow_with_people(
    client, administrator, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_people(numbers):
        User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="Bulk", last_name=f"Lovelace{n}")
            for n in numbers
        )

    # 1. the session
    # 2. the signed-in user
    # 3. on SQLite, the ids the trigram index finds (at most user_search.FEW + 1)
    # 4. the paginator's COUNT of the matches (capped)
    # 5. one page of people
    # 6. their memberships, with their groups
    # 7. the menu's COUNT of subscriptions waiting for approval
    queries = 7 if connection.vendor == "sqlite" else 6
    url = reverse("console:users") + "?q=lovelace"
    first, second = assert_queries_do_not_grow(url, add_people, queries)
    assert len(second.context["page"].object_list) == 25


def test_members_picker_search_queries_do_not_grow_with_people(
    client, administrator, partners, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_people(numbers):
        User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="First1", last_name=str(n))
            for n in numbers
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the group
    # 4. on SQLite, the ids the trigram index finds (at most user_search.FEW + 1)
    # 5. the paginator's COUNT of the matches (capped)
    # 6. one page of people
    # 7. which of them are members already
    # 8. the menu's COUNT of subscriptions waiting for approval
    queries = 8 if connection.vendor == "sqlite" else 7
    url = reverse("groups:add_members", args=[partners.name]) + "?q=first1"
    assert_queries_do_not_grow(url, add_people, queries)


def test_up_to_few_matches_are_looked_up_by_id(people):
    # More ids than SQLite's old 999-parameter limit, all within FEW.
    User.objects.bulk_create(
        User(email=f"many{n:04}@example.com", first_name="Many", last_name=f"Kin{n}")
        for n in range(1500)
    )
    assert len(found("many")) == 1500
    assert found("kin1499") == ["many1499@example.com"]
    assert found("many kin12") == like_alone("many kin12")


def test_members_tab_search_queries_do_not_grow_with_people(
    client, administrator, partners, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_people(numbers):
        people = User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="Lovelace", last_name=str(n))
            for n in numbers
        )
        # Half of them join the group; the others match the search too.
        Membership.objects.bulk_create(
            Membership(group=partners, user=person, added_by=administrator)
            for person in people[::2]
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the group
    # 4. on SQLite, the ids the trigram index finds (at most user_search.FEW + 1)
    # 5. the paginator's COUNT of the matching memberships
    # 6. one page of them, joined to their people
    # 7. the menu's COUNT of subscriptions waiting for approval
    queries = 7 if connection.vendor == "sqlite" else 6
    url = reverse("groups:members", args=[partners.name]) + "?q=lovelace"
    first, second = assert_queries_do_not_grow(url, add_people, queries)
    assert first.context["page"].paginator.count == 3
    assert second.context["page"].paginator.count == 3 + 248

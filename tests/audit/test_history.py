"""Access as of a moment, rebuilt from records written by hand in the
contract's vocabulary (the services' own records are checked by the replay
property test)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import Record
from audit.replay import replay
from groups.models import Group
from subscriptions import history

T0 = timezone.now() - datetime.timedelta(days=10)


def at(days: float) -> datetime.datetime:
    return T0 + datetime.timedelta(days=days)


def write(days, action, obj, related=None, after=None, by="ada@example.com"):
    return Record.objects.create(
        at=at(days),
        actor_kind="person",
        actor_label=by,
        via="console",
        action=action,
        object_kind=obj[0],
        object_id=str(obj[1]),
        object_label=obj[2],
        related_kind=related[0] if related else "",
        related_id=str(related[1]) if related else "",
        related_label=related[2] if related else "",
        after=after,
    )


@pytest.fixture
def story(make_user, make_product, partners):
    """Bob joins Partners on day 2, Partners sees Starter from day 1, Bob leaves on day 5."""
    bob = make_user(email="bob@example.com")
    product = make_product("Starter", groups=[])
    P = ("product", product.pk, "Starter")
    G = ("group", partners.pk, "Partners")
    U = ("user", bob.pk, "bob@example.com")
    write(0, "user.create", U, after={"state": "active", "is_superuser": False})
    write(0, "product.create", P, after={"state": "published"})
    write(0, "group.create", G, after={"type": "custom"})
    write(1, "access.grant", P, G)
    write(2, "member.add", G, U, by="carol@example.com")
    write(
        3,
        "subscription.create",
        ("subscription", 41, "Bob's key"),
        U,
        after={"state": "active", "product_id": product.pk, "owner_id": bob.pk},
    )
    write(5, "member.remove", G, U)
    write(
        6,
        "subscription.suspend",
        ("subscription", 41, "Bob's key"),
        U,
        after={"state": "suspended"},
    )
    return bob, product


def names(result):
    return [viewer.label for viewer in result.viewers if not viewer.administrator]


def test_who_could_see_a_product_moves_with_the_record(story):
    bob, product = story
    assert names(history.product_as_of(product, at(1.5))) == []
    during = history.product_as_of(product, at(4))
    assert names(during) == ["bob@example.com"]
    (viewer,) = [v for v in during.viewers if v.label == "bob@example.com"]
    assert viewer.through == ("Partners",)
    # Since the later of his membership and the group's access, by whoever added him.
    assert (viewer.since.at, viewer.since.by) == (at(2), "carol@example.com")
    assert [held.owner_label for held in during.subscriptions] == ["bob@example.com"]
    after = history.product_as_of(product, at(7))
    assert names(after) == []
    assert after.subscriptions == []
    assert [grant.label for grant in after.grants] == ["Partners"]


def test_an_unpublished_product_is_seen_by_administrators_only(story, administrator):
    bob, product = story
    write(
        3.5, "product.update", ("product", product.pk, "Starter"), after={"state": "notPublished"}
    )
    result = history.product_as_of(product, at(4))
    assert names(result) == []
    assert not result.published
    # The administrator predates the record: taken as they are now.
    assert [v.label for v in result.viewers if v.administrator] == [administrator.email]


def test_a_product_before_its_creation_did_not_exist(story):
    _, product = story
    assert not history.product_as_of(product, at(-1)).existed


def test_a_blocked_person_sees_only_what_guests_see(story):
    bob, product = story
    write(3.5, "user.block", ("user", bob.pk, "bob@example.com"), after={"state": "blocked"})
    assert names(history.product_as_of(product, at(4))) == []
    then = history.person_as_of(bob, at(4))
    assert then.state == "blocked"
    assert [grant.system_name for grant in then.groups] == ["guests"]
    assert then.seen == []


def test_what_a_person_could_see_then(story):
    bob, product = story
    then = history.person_as_of(bob, at(4))
    assert [grant.label for grant in then.groups] == ["Developers", "Partners"]
    assert [(row.label, row.through) for row in then.seen] == [("Starter", ("Partners",))]
    assert history.person_as_of(bob, at(6)).seen == []


def test_the_developers_group_lets_every_developer_see(story, developers):
    _, product = story
    write(
        4,
        "access.grant",
        ("product", product.pk, "Starter"),
        ("group", developers.pk, "Developers"),
    )
    result = history.product_as_of(product, at(4.5))
    assert result.every_developer and not result.every_visitor


def test_replay_folds_links_and_values_in_order(story):
    state = replay(Record.objects.order_by("at", "id"))
    _, product = story
    assert state.value("product", product.pk, "state") == "published"
    assert state.value("subscription", 41, "state") == "suspended"
    assert state.linked("member") == set()
    # Partners' grant by hand; Administrators' when the product was made (recorded now).
    assert {group for _, group in state.linked("access")} >= {
        str(Group.objects.get(name="partners").pk)
    }


def test_a_request_about_a_group_does_not_change_the_group(db):
    G = ("group", 999999, "Ghosts")
    write(0, "group.create", G, after={"type": "custom", "description": "kept"})
    write(1, "request.create", G, ("user", 1, "x@example.com"), after={"state": "submitted"})
    state = replay(Record.objects.order_by("at", "id"))
    assert state.value("group", 999999, "description") == "kept"
    assert state.value("group", 999999, "state") is None

"""The records access reviews leave: review.start, review.decide, review.close."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import Record
from groups import services as group_services
from reviews import services
from reviews.models import Review


@pytest.fixture
def team(partners, make_user):
    people = [
        make_user(email="alice@example.com", first_name="Alice", last_name="Ames"),
        make_user(email="bob@example.com", first_name="Bob", last_name="Berg"),
    ]
    group_services.add_members(group=partners, users=people, added_by=None)
    return partners


def review_records():
    return list(Record.objects.filter(action__startswith="review.").order_by("id"))


def item(review, label):
    return review.items.get(label=label)


def test_starting_records_the_review_and_its_subject(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    [started] = review_records()
    assert (started.action, started.object_kind, started.object_id, started.object_label) == (
        "review.start",
        "review",
        str(review.pk),
        "Review of members of Partners",
    )
    assert (started.related_kind, started.related_id, started.related_label) == (
        "group",
        str(team.pk),
        "Partners",
    )
    assert started.before is None
    assert started.after == {
        "state": "open",
        "kind": "group",
        "subject_id": team.pk,
        "subject": "Partners",
        "items": 2,
    }


def test_a_product_review_names_the_product(product, administrator):
    services.start_product_review(product=product, started_by=administrator)
    [started] = review_records()
    assert (started.related_kind, started.related_label) == ("product", "Payments")
    assert started.after["items"] == 1


def test_each_decision_is_recorded_against_the_person(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    alice, bob = item(review, "alice@example.com"), item(review, "bob@example.com")
    services.decide(review=review, items=[alice.pk], decision="keep", decided_by=administrator)
    services.decide(
        review=review,
        items=[alice.pk, bob.pk],
        decision="remove",
        decided_by=administrator,
        comment="Contract ended",
    )
    decided = review_records()[1:]
    assert [
        (r.action, r.object_id, r.related_kind, r.related_id, r.related_label, r.before, r.after)
        for r in decided
    ] == [
        (
            "review.decide",
            str(review.pk),
            "user",
            str(alice.target_id),
            "alice@example.com",
            {"decision": "", "comment": ""},
            {"decision": "keep", "comment": ""},
        ),
        (
            "review.decide",
            str(review.pk),
            "user",
            str(alice.target_id),
            "alice@example.com",
            {"decision": "keep", "comment": ""},
            {"decision": "remove", "comment": "Contract ended"},
        ),
        (
            "review.decide",
            str(review.pk),
            "user",
            str(bob.target_id),
            "bob@example.com",
            {"decision": "", "comment": ""},
            {"decision": "remove", "comment": "Contract ended"},
        ),
    ]


def test_closing_records_what_it_decided(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    services.decide(
        review=review,
        items=[item(review, "bob@example.com").pk],
        decision="remove",
        decided_by=administrator,
    )
    services.close_review(review=review, closed_by=administrator, keep_undecided=True)
    closing = review_records()[-1]
    assert (closing.action, closing.object_kind, closing.object_id) == (
        "review.close",
        "review",
        str(review.pk),
    )
    assert closing.before == {"state": "open"}
    assert closing.after == {"state": "closed", "keep": 0, "remove": 1, "kept_undecided": 1}
    assert closing.cause_id is None


def test_refused_writes_leave_no_record(team, administrator, external):
    with pytest.raises(ValidationError):
        services.start_group_review(group=external, started_by=administrator)
    review = services.start_group_review(group=team, started_by=administrator)
    with pytest.raises(services.AlreadyOpen):
        services.start_group_review(group=team, started_by=administrator)
    with pytest.raises(ValidationError):
        services.close_review(review=review, closed_by=administrator)
    with pytest.raises(ValidationError):
        services.decide(
            review=review,
            items=[item(review, "bob@example.com").pk],
            decision="later",
            decided_by=administrator,
        )
    assert [r.action for r in review_records()] == ["review.start"]
    services.close_review(review=review, closed_by=administrator, keep_undecided=True)
    with pytest.raises(ValidationError):
        services.close_review(review=review, closed_by=administrator, keep_undecided=True)
    with pytest.raises(ValidationError):
        services.decide(
            review=review,
            items=[item(review, "bob@example.com").pk],
            decision="keep",
            decided_by=administrator,
        )
    assert [r.action for r in review_records()] == ["review.start", "review.close"]


def test_the_console_records_the_administrator_as_the_actor(client, team, administrator):
    client.force_login(administrator)
    client.post(reverse("reviews:start_group", args=[team.name]), REMOTE_ADDR="203.0.113.9")
    review = Review.objects.get()
    client.post(
        reverse("reviews:decide", args=[review.pk]),
        {"keep": item(review, "alice@example.com").pk},
    )
    for record in review_records():
        assert (record.actor_kind, record.actor_id, record.actor_label, record.via) == (
            "person",
            str(administrator.pk),
            "root@example.com",
            "console",
        )
        assert record.address == "203.0.113.9" or record.action == "review.decide"
    assert [r.action for r in review_records()] == ["review.start", "review.decide"]

"""Starting, deciding and closing reviews, replays and races included."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audit.models import Record
from groups import services as group_services
from groups.models import Group, Membership
from portal.jobs import AUDIT_CAUSE
from portal.models import Job
from products import services as product_services
from products.models import ProductGroup
from reviews import services
from reviews.models import Review, ReviewItem
from tests.concurrency import run_together
from tests.reviews.conftest import decisions

THREADS = 6


def items_by_label(review):
    return {item.label: item for item in review.items.all()}


def decide(review, labels, decision, by, comment=""):
    chosen = [item.pk for item in review.items.filter(label__in=labels)]
    return services.decide(
        review=review, items=chosen, decision=decision, decided_by=by, comment=comment
    )


# Starting


def test_a_group_review_holds_its_members_as_they_are(team, administrator, alice, bob):
    review = services.start_group_review(group=team, started_by=administrator)
    assert (review.kind, review.subject_id, review.subject_name, review.subject_label) == (
        "group",
        team.pk,
        "partners",
        "Partners",
    )
    assert (review.state, review.started_by_id, review.started_by_label) == (
        "open",
        administrator.pk,
        "root@example.com",
    )
    assert sorted(review.items.values_list("target_id", "label", "detail", "decision")) == sorted(
        [
            (alice.pk, "alice@example.com", "Alice Ames", ""),
            (bob.pk, "bob@example.com", "Bob Berg", ""),
        ]
    )


def test_someone_added_later_is_not_in_the_review(team, administrator, make_user):
    review = services.start_group_review(group=team, started_by=administrator)
    group_services.add_members(
        group=team, users=[make_user(email="late@example.com")], added_by=None
    )
    assert set(review.items.values_list("label", flat=True)) == {
        "alice@example.com",
        "bob@example.com",
    }


@pytest.mark.parametrize("which", ["developers", "administrators", "guests", "external"])
def test_built_in_and_external_groups_are_not_reviewed(request, administrator, which):
    group = request.getfixturevalue(which)
    with pytest.raises(ValidationError) as refused:
        services.start_group_review(group=group, started_by=administrator)
    assert group.display_name in refused.value.messages[0]
    assert not Review.objects.exists()
    assert not Record.objects.filter(action__startswith="review.").exists()


def test_a_product_review_holds_the_groups_that_see_it_but_administrators(
    product, administrator, beta
):
    product_services.grant_access(product=product, groups=[beta], added_by=None)
    review = services.start_product_review(product=product, started_by=administrator)
    assert sorted(review.items.values_list("label", "detail")) == [
        ("Beta testers", "beta"),
        ("Partners", "partners"),
    ]


def test_starting_twice_finds_the_open_review(team, administrator):
    first = services.start_group_review(group=team, started_by=administrator)
    with pytest.raises(services.AlreadyOpen) as refused:
        services.start_group_review(group=team, started_by=administrator)
    assert refused.value.review == first
    assert "already an open review of Partners" in refused.value.messages[0]
    assert Review.objects.count() == 1
    assert ReviewItem.objects.count() == 2
    assert Record.objects.filter(action="review.start").count() == 1


def test_a_closed_review_lets_another_start(team, administrator):
    first = services.start_group_review(group=team, started_by=administrator)
    services.close_review(review=first, closed_by=administrator, keep_undecided=True)
    second = services.start_group_review(group=team, started_by=administrator)
    assert second.pk != first.pk
    assert second.items.count() == 2


@pytest.mark.django_db(transaction=True)
def test_racing_starts_open_one_review():
    group = group_services.create_group(name="racers", display_name="Racers")

    def start(_):
        try:
            return services.start_group_review(group=group, started_by=None).pk
        except services.AlreadyOpen as refused:
            return -refused.review.pk

    results, errors = run_together(THREADS, start)
    assert errors == []
    review = Review.objects.get()
    assert sorted(results) == sorted([-review.pk] * (THREADS - 1) + [review.pk])
    assert Record.objects.filter(action="review.start").count() == 1


# Deciding


def test_deciding_records_who_when_and_why(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    assert decide(review, ["alice@example.com"], "keep", administrator, "  Still a partner ") == 1
    alice = items_by_label(review)["alice@example.com"]
    assert (alice.decision, alice.comment, alice.decided_by_id, alice.decided_by_label) == (
        "keep",
        "Still a partner",
        administrator.pk,
        "root@example.com",
    )
    assert alice.decided_at is not None
    assert items_by_label(review)["bob@example.com"].decision == ""


def test_deciding_again_the_same_way_changes_nothing(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com"], "keep", administrator)
    records = Record.objects.count()
    assert decide(review, ["alice@example.com"], "keep", administrator) == 0
    assert Record.objects.count() == records


def test_a_decision_can_change_while_the_review_is_open(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com"], "keep", administrator)
    assert decide(review, ["alice@example.com"], "remove", administrator, "Left") == 1
    assert decisions(review)["alice@example.com"] == ("remove", "")


def test_items_of_another_review_are_left_alone(team, beta, administrator, make_user):
    group_services.add_members(group=beta, users=[make_user()], added_by=None)
    review = services.start_group_review(group=team, started_by=administrator)
    other = services.start_group_review(group=beta, started_by=administrator)
    stranger = other.items.get()
    assert (
        services.decide(
            review=review, items=[stranger.pk], decision="remove", decided_by=administrator
        )
        == 0
    )
    stranger.refresh_from_db()
    assert stranger.decision == ""


@pytest.mark.parametrize(("decision", "comment"), [("", ""), ("maybe", ""), ("keep", "x" * 1001)])
def test_a_decision_must_be_keep_or_remove_with_a_short_comment(
    team, administrator, decision, comment
):
    review = services.start_group_review(group=team, started_by=administrator)
    records = Record.objects.count()
    with pytest.raises(ValidationError):
        decide(review, ["alice@example.com"], decision, administrator, comment)
    assert decisions(review)["alice@example.com"] == ("", "")
    assert Record.objects.count() == records


def test_deciding_on_a_closed_review_is_refused(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com", "bob@example.com"], "keep", administrator)
    services.close_review(review=review, closed_by=administrator)
    records = Record.objects.count()
    with pytest.raises(ValidationError) as refused:
        decide(review, ["alice@example.com"], "remove", administrator)
    assert refused.value.code == "closed"
    assert "closed" in refused.value.messages[0]
    assert decisions(review)["alice@example.com"] == ("keep", "kept")
    assert Record.objects.count() == records


# Closing


def test_closing_removes_those_marked_remove_and_keeps_the_rest(team, administrator, alice, bob):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com"], "keep", administrator)
    decide(review, ["bob@example.com"], "remove", administrator)
    closed = services.close_review(review=review, closed_by=administrator)
    assert set(Membership.objects.filter(group=team).values_list("user_id", flat=True)) == {
        alice.pk
    }
    assert (closed.state, closed.closed_by_label, closed.removed_count, closed.gone_count) == (
        "closed",
        "root@example.com",
        1,
        0,
    )
    assert closed.closed_at is not None
    assert decisions(review) == {
        "alice@example.com": ("keep", "kept"),
        "bob@example.com": ("remove", "removed"),
    }


def test_undecided_items_refuse_the_close(team, administrator):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["bob@example.com"], "remove", administrator)
    records = Record.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.close_review(review=review, closed_by=administrator)
    assert refused.value.code == "undecided"
    assert refused.value.messages[0].startswith("1 member is still undecided.")
    review.refresh_from_db()
    assert review.state == "open"
    assert Membership.objects.filter(group=team).count() == 2
    assert Record.objects.count() == records


def test_keep_the_undecided_closes_and_keeps_them(team, administrator, alice):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["bob@example.com"], "remove", administrator)
    closed = services.close_review(review=review, closed_by=administrator, keep_undecided=True)
    assert closed.kept_undecided_count == 1
    assert decisions(review)["alice@example.com"] == ("", "kept_undecided")
    assert list(Membership.objects.filter(group=team).values_list("user_id", flat=True)) == [
        alice.pk
    ]


def test_a_removal_that_no_longer_applies_is_noted(team, administrator, bob):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com", "bob@example.com"], "remove", administrator)
    group_services.remove_member(group=team, user=bob)
    closed = services.close_review(review=review, closed_by=administrator)
    assert (closed.removed_count, closed.gone_count) == (1, 1)
    assert decisions(review) == {
        "alice@example.com": ("remove", "removed"),
        "bob@example.com": ("remove", "gone"),
    }


def test_a_deleted_person_or_group_is_already_gone(team, administrator, bob):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com", "bob@example.com"], "remove", administrator)
    bob.delete()
    closed = services.close_review(review=review, closed_by=administrator)
    assert (closed.removed_count, closed.gone_count) == (1, 1)

    group = group_services.create_group(name="gone", display_name="Gone")
    group_services.add_members(group=group, users=[administrator], added_by=None)
    review = services.start_group_review(group=group, started_by=administrator)
    decide(review, ["root@example.com"], "remove", administrator)
    group_services.delete_group(group=group)
    closed = services.close_review(review=review, closed_by=administrator)
    assert (closed.removed_count, closed.gone_count) == (0, 1)
    assert closed.subject_label == "Gone"


def test_closing_twice_is_refused(team, administrator, alice, bob):
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com", "bob@example.com"], "remove", administrator)
    services.close_review(review=review, closed_by=administrator)
    # Added back since: a replayed close must not take them out again.
    group_services.add_members(group=team, users=[alice, bob], added_by=None)
    with pytest.raises(ValidationError) as refused:
        services.close_review(review=review, closed_by=administrator)
    assert refused.value.code == "closed"
    assert Membership.objects.filter(group=team).count() == 2
    assert Record.objects.filter(action="review.close").count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_closes_apply_once(make_user):
    group = group_services.create_group(name="racers", display_name="Racers")
    people = [make_user() for _ in range(3)]
    group_services.add_members(group=group, users=people, added_by=None)
    review = services.start_group_review(group=group, started_by=None)
    services.decide(
        review=review,
        items=list(review.items.values_list("pk", flat=True)),
        decision="remove",
        decided_by=None,
    )

    def close(_):
        try:
            return services.close_review(review=review, closed_by=None).removed_count
        except ValidationError as refused:
            return refused.code

    results, errors = run_together(THREADS, close)
    assert errors == []
    assert sorted(results, key=str) == sorted([3] + ["closed"] * (THREADS - 1), key=str)
    assert not Membership.objects.filter(group=group).exists()
    assert Record.objects.filter(action="review.close").count() == 1


def test_closing_a_product_review_revokes_through_the_products_service(
    product, administrator, beta
):
    product_services.grant_access(product=product, groups=[beta], added_by=None)
    review = services.start_product_review(product=product, started_by=administrator)
    decide(review, ["Beta testers"], "remove", administrator)
    decide(review, ["Partners"], "keep", administrator)
    closed = services.close_review(review=review, closed_by=administrator)
    assert closed.removed_count == 1
    assert set(
        ProductGroup.objects.filter(product=product).values_list("group__name", flat=True)
    ) == {Group.ADMINISTRATORS, "partners"}


def test_what_closing_removes_follows_from_the_close_record(
    team, administrator, alice, product, make_subscription
):
    """The removal's consequences (here the access rule's job) name the close as their cause."""
    make_subscription(alice, product)
    review = services.start_group_review(group=team, started_by=administrator)
    decide(review, ["alice@example.com"], "remove", administrator)
    decide(review, ["bob@example.com"], "keep", administrator)
    services.close_review(review=review, closed_by=administrator)
    closing = Record.objects.get(action="review.close")
    job = Job.objects.get(kind="subscriptions.access_rule")
    assert job.params[AUDIT_CAUSE] == closing.pk
    # Whatever the services record of the removal follows from the close too.
    assert all(record.cause_id == closing.pk for record in Record.objects.filter(pk__gt=closing.pk))

"""A review's rows: one open review per subject, closing sets when, labels kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from reviews.models import Review, ReviewItem


def make_review(**fields):
    return Review.objects.create(
        **{"kind": "group", "subject_id": 1, "subject_name": "x", "subject_label": "X"} | fields
    )


@pytest.mark.django_db
def test_one_open_review_per_subject():
    make_review()
    with pytest.raises(IntegrityError):
        make_review()


@pytest.mark.django_db
def test_closed_reviews_of_a_subject_can_be_many():
    make_review(state="closed", closed_at=timezone.now())
    make_review(state="closed", closed_at=timezone.now())
    make_review()
    assert Review.objects.count() == 3


@pytest.mark.django_db
def test_a_closed_review_says_when():
    review = Review(kind="group", subject_id=1, subject_name="x", subject_label="X")
    review.state = Review.State.CLOSED
    with pytest.raises(ValidationError):
        review.full_clean()


@pytest.mark.django_db
def test_a_review_names_its_subject():
    assert str(make_review(subject_label="Partners")) == "Review of members of Partners"
    assert (
        str(make_review(kind="product", subject_label="Payments")) == "Review of access to Payments"
    )


@pytest.mark.django_db
def test_an_item_is_in_a_review_once():
    review = make_review()
    ReviewItem.objects.create(review=review, target_id=5, label="a@example.com")
    with pytest.raises(IntegrityError):
        ReviewItem.objects.create(review=review, target_id=5, label="a@example.com")


@pytest.mark.django_db
def test_for_list_counts_items_and_decisions():
    review = make_review()
    ReviewItem.objects.create(review=review, target_id=1, label="a", decision="keep")
    ReviewItem.objects.create(review=review, target_id=2, label="b", decision="remove")
    ReviewItem.objects.create(review=review, target_id=3, label="c")
    listed = Review.objects.for_list().get()
    assert (listed.item_total, listed.decided_total) == (3, 2)

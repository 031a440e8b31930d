"""Access reviews: who may keep seeing what, decided person by person or group by group.

A review names its subject (a group, or a product) and each item (a member,
or a group that sees the product) by primary key and by the label it had when
the review started, not by foreign key: reviews and their decisions are kept
forever, after the people, groups and products they name are gone, and
deleting those never has to touch a review.
"""

from __future__ import annotations

from typing import Self

from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

COMMENT_LENGTH = 1000
LABEL_LENGTH = 300


def _item_count(*conditions: Q) -> Coalesce:
    items = (
        ReviewItem.objects.filter(*conditions, review=OuterRef("pk"))
        .order_by()
        .values("review")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(items), 0)


class ReviewQuerySet(models.QuerySet["Review"]):
    def search(self, query: str) -> Self:
        """Reviews whose subject's name or ID, or starter's email, contains the query."""
        query = query.strip()
        if not query:
            return self
        return self.filter(
            Q(subject_label__icontains=query)
            | Q(subject_name__icontains=query)
            | Q(started_by_label__icontains=query)
        )

    def for_list(self) -> Self:
        """With how many items each holds and how many are decided.

        Counted in subqueries rather than through a join, so the list's
        count and the keys of its page read reviews alone.
        """
        return self.annotate(
            item_total=_item_count(),
            decided_total=_item_count(~Q(decision="")),
        )


class Review(models.Model):
    """A review of a group's members or of the groups that see a product."""

    class Kind(models.TextChoices):
        GROUP = "group", "Group members"
        PRODUCT = "product", "Product access"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    kind = models.CharField(max_length=10, choices=Kind)
    # The group's or product's primary key, ID and name when the review started.
    subject_id = models.BigIntegerField()
    subject_name = models.CharField(max_length=LABEL_LENGTH)
    subject_label = models.CharField(max_length=LABEL_LENGTH)
    state = models.CharField(max_length=10, choices=State, default=State.OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    started_by_id = models.BigIntegerField(null=True, blank=True)
    started_by_label = models.CharField(max_length=LABEL_LENGTH, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_id = models.BigIntegerField(null=True, blank=True)
    closed_by_label = models.CharField(max_length=LABEL_LENGTH, blank=True)
    # What closing did: the removals that applied, those already gone, and
    # the undecided items the closer chose to keep.
    removed_count = models.PositiveIntegerField(default=0)
    gone_count = models.PositiveIntegerField(default=0)
    kept_undecided_count = models.PositiveIntegerField(default=0)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "-started_at"], name="reviews_review_state"),
            models.Index(fields=["kind", "subject_id"], name="reviews_review_subject"),
        ]
        constraints = [
            # One open review per group or product: a second Start (a
            # double click, another administrator) finds the first.
            models.UniqueConstraint(
                fields=["kind", "subject_id"],
                condition=Q(state="open"),
                name="reviews_review_one_open",
            ),
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True)
                | Q(state="closed", closed_at__isnull=False),
                name="reviews_review_closed_at",
            ),
        ]

    def __str__(self) -> str:
        noun = "members of" if self.kind == self.Kind.GROUP else "access to"
        return f"Review of {noun} {self.subject_label}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def item_noun(self) -> str:
        return "member" if self.kind == self.Kind.GROUP else "group"


class ReviewItem(models.Model):
    """One member (or group) as the review found it, and what a reviewer decided."""

    class Decision(models.TextChoices):
        UNDECIDED = "", "Undecided"
        KEEP = "keep", "Keep"
        REMOVE = "remove", "Remove"

    class Outcome(models.TextChoices):
        PENDING = "", "Review open"
        KEPT = "kept", "Kept"
        KEPT_UNDECIDED = "kept_undecided", "Kept (undecided)"
        REMOVED = "removed", "Removed"
        GONE = "gone", "Already gone"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="items")
    # The person's primary key (a group review) or the group's (a product review).
    target_id = models.BigIntegerField()
    # The email or the group's name, and the person's name or the group's ID, then.
    label = models.CharField(max_length=LABEL_LENGTH)
    detail = models.CharField(max_length=LABEL_LENGTH, blank=True)
    decision = models.CharField(max_length=10, choices=Decision, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_id = models.BigIntegerField(null=True, blank=True)
    decided_by_label = models.CharField(max_length=LABEL_LENGTH, blank=True)
    comment = models.TextField(max_length=COMMENT_LENGTH, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome, blank=True, default="")

    class Meta:
        ordering = ["label", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "target_id"], name="reviews_reviewitem_once"),
        ]
        indexes = [
            models.Index(fields=["review", "label", "id"], name="reviews_item_label"),
            models.Index(fields=["review", "decision"], name="reviews_item_decision"),
        ]

    def __str__(self) -> str:
        return self.label

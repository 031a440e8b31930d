"""Starting, deciding and closing access reviews; closing removes through the
groups' and products' own services, so their rules and records apply."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import context as audit_context
from audit import services as audit
from groups import services as group_services
from groups.models import Group, Membership
from portal.models import User
from products import services as product_services
from products.models import Product, ProductGroup
from reviews.models import COMMENT_LENGTH, LABEL_LENGTH, Review, ReviewItem

BATCH = 1000


class AlreadyOpen(ValidationError):
    """There is an open review of this group or product already."""

    def __init__(self, review: Review) -> None:
        super().__init__(
            f"There is already an open review of {review.subject_label}, started "
            f"{_day(review.started_at)} by "
            f"{review.started_by_label or 'Portico'}. Finish or close it before starting "
            "another.",
            code="already_open",
        )
        self.review = review


def _day(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y at %H:%M}"


def _person(user: Any) -> tuple[int | None, str]:
    if user is None or not getattr(user, "pk", None):
        return None, ""
    return user.pk, str(user.email)[:LABEL_LENGTH]


def review_ref(review: Review) -> audit.Ref:
    return audit.Ref("review", str(review.pk), str(review)[: audit.LABEL_LENGTH])


def item_ref(review: Review, item: ReviewItem) -> audit.Ref:
    kind = "user" if review.kind == Review.Kind.GROUP else "group"
    return audit.Ref(kind, str(item.target_id), item.label)


def _group_items(group: Group) -> Iterator[ReviewItem]:
    rows = (
        Membership.objects.filter(group=group)
        .order_by("pk")
        .values_list("user_id", "user__email", "user__first_name", "user__last_name")
    )
    for user_id, email, first, last in rows.iterator(chunk_size=BATCH):
        name = f"{first} {last}".strip()
        yield ReviewItem(target_id=user_id, label=email[:LABEL_LENGTH], detail=name[:LABEL_LENGTH])


def _product_items(product: Product) -> Iterator[ReviewItem]:
    # Administrators always see every product: their access can't be
    # removed, so it isn't reviewed.
    rows = (
        ProductGroup.objects.filter(product=product)
        .exclude(group__name=Group.ADMINISTRATORS)
        .order_by("pk")
        .values_list("group_id", "group__display_name", "group__name")
    )
    for group_id, display_name, name in rows.iterator(chunk_size=BATCH):
        yield ReviewItem(
            target_id=group_id, label=display_name[:LABEL_LENGTH], detail=name[:LABEL_LENGTH]
        )


def _start(
    *, kind: str, subject: Group | Product, items: Iterable[ReviewItem], started_by: Any
) -> Review:
    starter_id, starter_label = _person(started_by)
    review = Review(
        kind=kind,
        subject_id=subject.pk,
        subject_name=subject.name[:LABEL_LENGTH],
        subject_label=subject.display_name[:LABEL_LENGTH],
        started_by_id=starter_id,
        started_by_label=starter_label,
    )
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        existing = Review.objects.filter(
            kind=kind, subject_id=subject.pk, state=Review.State.OPEN
        ).first()
        if existing is None:
            raise
        raise AlreadyOpen(existing) from None
    count = 0
    batch: list[ReviewItem] = []
    for item in items:
        item.review = review
        batch.append(item)
        if len(batch) >= BATCH:
            ReviewItem.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    ReviewItem.objects.bulk_create(batch)
    count += len(batch)
    audit.record(
        "review.start",
        review_ref(review),
        related=audit.ref(subject, kind=kind),
        after={
            "state": review.state,
            "kind": kind,
            "subject_id": subject.pk,
            "subject": review.subject_label,
            "items": count,
        },
    )
    return review


def group_refusal(group: Group) -> ValidationError | None:
    """Why a group's members can't be reviewed here, if they can't."""
    if group.is_system:
        return ValidationError(
            f"{group.display_name} is a built-in group: Portico works out its members, so "
            "there is nobody to keep or remove.",
            code="system_group",
        )
    if group.type == Group.Type.EXTERNAL:
        return ValidationError(
            f"{group.display_name} is an external group: its members come from the "
            "directory, so review them there.",
            code="external_group",
        )
    return None


@transaction.atomic
def start_group_review(*, group: Group, started_by: Any) -> Review:
    """Review a custom group's members, as they are now."""
    refusal = group_refusal(group)
    if refusal is not None:
        raise refusal
    return _start(
        kind=Review.Kind.GROUP, subject=group, items=_group_items(group), started_by=started_by
    )


@transaction.atomic
def start_product_review(*, product: Product, started_by: Any) -> Review:
    """Review the groups that see a product (Administrators always do, so not them)."""
    return _start(
        kind=Review.Kind.PRODUCT,
        subject=product,
        items=_product_items(product),
        started_by=started_by,
    )


def _locked_open(review: Review, doing: str) -> Review:
    current = Review.objects.select_for_update().get(pk=review.pk)
    if not current.is_open:
        when = f" on {_day(current.closed_at)}" if current.closed_at else ""
        by = f" by {current.closed_by_label}" if current.closed_by_label else ""
        raise ValidationError(
            f"This review was closed{when}{by}, "
            f"so {doing}. Start a new review to look at it again.",
            code="closed",
        )
    return current


@transaction.atomic
def decide(
    *,
    review: Review,
    items: Iterable[int],
    decision: str,
    decided_by: Any,
    comment: str = "",
) -> int:
    """Mark items of an open review Keep or Remove; how many changed.

    Marking an item as it already is, with the same comment, changes
    nothing and records nothing. Items of other reviews are ignored.
    """
    if decision not in (ReviewItem.Decision.KEEP, ReviewItem.Decision.REMOVE):
        raise ValidationError("Choose Keep or Remove.", code="decision")
    comment = comment.strip()
    if len(comment) > COMMENT_LENGTH:
        raise ValidationError(
            f"A comment holds at most {COMMENT_LENGTH:,} characters; this one has "
            f"{len(comment):,}.",
            code="comment",
        )
    current = _locked_open(review, "its decisions can't change")
    chosen = list(ReviewItem.objects.select_for_update().filter(review=current, pk__in=list(items)))
    changed = [item for item in chosen if (item.decision, item.comment) != (decision, comment)]
    if not changed:
        return 0
    reviewer_id, reviewer_label = _person(decided_by)
    now = timezone.now()
    # One batch of records per earlier state, since a batch shares its "before".
    earlier: dict[tuple[str, str], list[ReviewItem]] = defaultdict(list)
    for item in changed:
        earlier[(item.decision, item.comment)].append(item)
        item.decision = decision
        item.comment = comment
        item.decided_at = now
        item.decided_by_id = reviewer_id
        item.decided_by_label = reviewer_label
    ReviewItem.objects.bulk_update(
        changed, ["decision", "comment", "decided_at", "decided_by_id", "decided_by_label"]
    )
    obj = review_ref(current)
    for (old_decision, old_comment), batch in earlier.items():
        audit.record_many(
            "review.decide",
            [(obj, item_ref(current, item)) for item in batch],
            before={"decision": old_decision, "comment": old_comment},
            after={"decision": decision, "comment": comment},
        )
    return len(changed)


def undecided_count(review: Review) -> int:
    return review.items.filter(decision=ReviewItem.Decision.UNDECIDED).count()


@transaction.atomic
def close_review(*, review: Review, closed_by: Any, keep_undecided: bool = False) -> Review:
    """Close an open review and apply every Remove, through the groups' and products' services.

    Items still undecided refuse the close, unless keep_undecided: then
    they are kept. A removal that no longer applies (the person already
    left the group, the group or product is gone) is noted as such.
    """
    current = _locked_open(review, "it can't be closed again")
    items = list(current.items.order_by("pk").only("pk", "target_id", "label", "decision"))
    undecided = [item for item in items if item.decision == ReviewItem.Decision.UNDECIDED]
    if undecided and not keep_undecided:
        noun = current.item_noun
        count = len(undecided)
        raise ValidationError(
            f"{count} {noun}{'s are' if count != 1 else ' is'} still undecided. Mark "
            f"{'each' if count != 1 else 'it'} Keep or Remove, or choose “Keep the undecided” "
            "to close the review and keep them.",
            code="undecided",
        )
    removing = [item for item in items if item.decision == ReviewItem.Decision.REMOVE]
    kept = [item for item in items if item.decision == ReviewItem.Decision.KEEP]
    closer_id, closer_label = _person(closed_by)
    current.state = Review.State.CLOSED
    current.closed_at = timezone.now()
    current.closed_by_id = closer_id
    current.closed_by_label = closer_label
    current.kept_undecided_count = len(undecided)
    closing = audit.record(
        "review.close",
        review_ref(current),
        before={"state": Review.State.OPEN},
        after={
            "state": Review.State.CLOSED,
            "keep": len(kept),
            "remove": len(removing),
            "kept_undecided": len(undecided),
        },
    )
    with audit_context.caused_by(closing.pk):
        applied = _apply_removals(current, removing)
    for item in removing:
        item.outcome = ReviewItem.Outcome.REMOVED if applied[item.pk] else ReviewItem.Outcome.GONE
    for item in kept:
        item.outcome = ReviewItem.Outcome.KEPT
    for item in undecided:
        item.outcome = ReviewItem.Outcome.KEPT_UNDECIDED
    ReviewItem.objects.bulk_update(items, ["outcome"], batch_size=BATCH)
    current.removed_count = sum(applied.values())
    current.gone_count = len(removing) - current.removed_count
    current.full_clean()
    current.save()
    return current


def _apply_removals(review: Review, removing: list[ReviewItem]) -> dict[int, bool]:
    """Each removal's item, and whether it took something away."""
    targets = [item.target_id for item in removing]
    if review.kind == Review.Kind.GROUP:
        group = Group.objects.filter(pk=review.subject_id).first()
        people = User.objects.in_bulk(targets) if group is not None else {}
        return {
            item.pk: group is not None
            and item.target_id in people
            and group_services.remove_member(group=group, user=people[item.target_id])
            for item in removing
        }
    product = Product.objects.filter(pk=review.subject_id).first()
    groups = Group.objects.in_bulk(targets) if product is not None else {}
    return {
        item.pk: product is not None
        and item.target_id in groups
        and product_services.revoke_access(product=product, group=groups[item.target_id])
        for item in removing
    }

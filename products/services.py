"""Writes to products and their groups' access; the console and the API call these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from groups.models import Group
from portal.models import PortalSettings
from products import notify
from products.models import Product, ProductGroup, Subscription, new_subscription_key


class ConcurrentChangeError(Exception):
    """The product changed since the caller read it; nothing was written."""

    def __init__(self, current: Product) -> None:
        super().__init__(f"{current.display_name} changed since it was read")
        self.current = current


@dataclass(frozen=True)
class DeletionSummary:
    display_name: str
    groups_removed: int
    subscriptions_removed: int = 0


@transaction.atomic
def create_product(*, groups: Iterable[Group] = (), added_by: Any = None, **fields: Any) -> Product:
    """Create a product; Administrators always get access, as in Azure."""
    product = Product(**fields)
    product.full_clean()
    product.save()
    administrators = Group.objects.get(name=Group.ADMINISTRATORS)
    grant_access(product=product, groups=[administrators, *groups], added_by=added_by)
    return product


@transaction.atomic
def update_product(*, product: Product, expected_version: int | None, **changes: Any) -> Product:
    """Save new settings unless someone else saved the product since it was read.

    expected_version None means "whatever the current version is" (If-Match: *).
    """
    current = Product.objects.select_for_update().get(pk=product.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    for field, value in changes.items():
        setattr(current, field, value)
    current.full_clean()
    current.save()
    return current


def set_state(*, product: Product, state: str) -> Product:
    """Publish or unpublish; subscriptions are untouched either way, as in Azure."""
    return update_product(product=product, expected_version=None, state=state)


@transaction.atomic
def delete_product(*, product: Product, delete_subscriptions: bool = False) -> DeletionSummary:
    """Delete a product and every group's access to it.

    A product with subscriptions is deleted only when they go too, as with
    Azure's deleteSubscriptions flag.
    """
    count = product.subscriptions.count()
    if count and not delete_subscriptions:
        raise ValidationError(
            f"{product.display_name} has {count} subscription{'s' if count != 1 else ''}. "
            "Tick “Also delete its subscriptions”, or cancel them first.",
            code="has_subscriptions",
        )
    summary = DeletionSummary(
        display_name=product.display_name,
        groups_removed=product.links.count(),
        subscriptions_removed=count,
    )
    product.subscriptions.all().delete()
    product.delete()
    return summary


@transaction.atomic
def grant_access(*, product: Product, groups: Iterable[Group], added_by: Any) -> int:
    """Let groups see a product; returns how many did not already have access.

    Repeats and races leave one link per group: the unique (product, group)
    constraint lets one insert win and the others, in savepoints, count nothing.
    """
    wanted = {group.pk for group in groups}
    already = set(
        ProductGroup.objects.filter(product=product, group_id__in=wanted).values_list(
            "group_id", flat=True
        )
    )
    added = 0
    for group_id in sorted(wanted - already):
        try:
            with transaction.atomic():
                ProductGroup.objects.create(product=product, group_id=group_id, added_by=added_by)
        except IntegrityError:
            continue
        added += 1
    if added:
        reconcile_access(product_ids=[product.pk])
    return added


@transaction.atomic
def revoke_access(*, product: Product, group: Group) -> bool:
    """Take a group's access away; True when it had access."""
    if group.name == Group.ADMINISTRATORS:
        raise ValidationError(
            "Administrators always see every product, so their access can't be removed.",
            code="administrators",
        )
    deleted, _ = ProductGroup.objects.filter(product=product, group=group).delete()
    if deleted:
        reconcile_access(product_ids=[product.pk])
    return deleted > 0


# --- Subscriptions ---------------------------------------------------------


class SubscriptionRefused(ValidationError):
    """A developer may not subscribe; the message says why and what to do."""


def _now() -> Any:
    return timezone.now()


@transaction.atomic
def subscribe(
    *, developer: Any, product: Product, display_name: str, accepted_terms: bool = False
) -> Subscription:
    """Subscribe a developer to a product they can see.

    Products that need approval give a submitted subscription; others an
    active one. The developer's row is locked first, so two requests at
    once can't both pass the limit.
    """
    get_user_model().objects.select_for_update().filter(pk=developer.pk).first()
    if not Product.objects.visible_to(developer).filter(pk=product.pk).exists():
        raise Product.DoesNotExist("No product matches the given query.")
    if not product.subscription_required:
        raise SubscriptionRefused(
            "This product is open: its APIs need no subscription.", code="open"
        )
    if product.terms and not accepted_terms:
        raise SubscriptionRefused(
            {"accept_terms": "Accept the terms of use to subscribe."}, code="terms"
        )
    mine = Subscription.objects.filter(owner=developer, product=product)
    waiting = mine.filter(state=Subscription.State.SUBMITTED).first()
    if waiting is not None:
        raise SubscriptionRefused(
            f"Your request “{waiting.display_name}” is still waiting for approval. You can "
            "subscribe again once an administrator has answered it.",
            code="pending",
        )
    limit = product.subscriptions_limit
    if limit is not None and mine.holding().count() >= limit:
        raise SubscriptionRefused(limit_message(product, mine), code="limit")
    needs_approval = product.approval_required
    subscription = Subscription(
        owner=developer,
        product=product,
        display_name=display_name,
        state=Subscription.State.SUBMITTED if needs_approval else Subscription.State.ACTIVE,
        activated_at=None if needs_approval else _now(),
    )
    subscription.full_clean()
    subscription.save()
    if needs_approval:
        transaction.on_commit(
            partial(notify.subscription_waiting, subscription_id=subscription.pk), robust=True
        )
    return subscription


@transaction.atomic
def create_subscription(
    *,
    sid: str,
    owner: Any,
    product: Product,
    display_name: str,
    state: str = Subscription.State.SUBMITTED,
    primary_key: str | None = None,
    secondary_key: str | None = None,
) -> Subscription:
    """An administrator's subscription for a developer (the API's PUT).

    The developer must be able to see the product and stay within its limit,
    as when they subscribe themselves; it starts submitted or active.
    """
    if state not in (Subscription.State.SUBMITTED, Subscription.State.ACTIVE):
        raise ValidationError(
            {"state": "A new subscription starts as submitted or active."}, code="state"
        )
    if owner is not None:
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        if not Product.objects.visible_to(owner).filter(pk=product.pk).exists():
            raise ValidationError(
                {"scope": "The developer can't see this product, so can't subscribe to it."},
                code="not_visible",
            )
        mine = Subscription.objects.filter(owner=owner, product=product)
        limit = product.subscriptions_limit
        if limit is not None and mine.holding().count() >= limit:
            raise ValidationError("Subscriptions limit reached for same user.", code="limit")
    subscription = Subscription(
        sid=sid,
        owner=owner,
        product=product,
        display_name=display_name,
        state=state,
        activated_at=_now() if state == Subscription.State.ACTIVE else None,
    )
    for field, given in (("primary_secret", primary_key), ("secondary_secret", secondary_key)):
        if given:
            setattr(subscription, field, _checked_key(str(given), field))
    if subscription.primary_secret == subscription.secondary_secret:
        raise ValidationError("The primary and secondary keys must differ.", code="same_key")
    subscription.full_clean()
    subscription.save()
    return subscription


MIN_KEY_LENGTH = 32


def _checked_key(key: str, field: str) -> str:
    """A key chosen by the caller: long enough, and no other subscription's key."""
    azure_name = {"primary_secret": "primaryKey", "secondary_secret": "secondaryKey"}[field]
    if len(key) < MIN_KEY_LENGTH:
        raise ValidationError(
            {field: f"{azure_name} needs at least {MIN_KEY_LENGTH} characters."}, code="short"
        )
    if Subscription.objects.filter(Q(primary_secret=key) | Q(secondary_secret=key)).exists():
        raise ValidationError({field: f"{azure_name} is already in use."}, code="taken")
    return key


def limit_message(product: Product, mine: Any) -> str:
    """Why a developer at the limit can't subscribe, naming a waiting request."""
    limit = product.subscriptions_limit
    text = (
        f"You have reached this product's limit of {limit} "
        f"subscription{'s' if limit != 1 else ''} per developer."
    )
    if mine.filter(state=Subscription.State.SUBMITTED).exists():
        text += " One of them is a request still waiting for approval."
    else:
        text += " Cancel one on your profile to subscribe again."
    return text


@transaction.atomic
def change_state(
    *, subscription: Subscription, action: str, comment: str = "", actor: Any = None
) -> Subscription:
    """Approve, reject, suspend, activate or cancel, where Azure allows it."""
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if action not in Subscription.TRANSITIONS:
        raise ValidationError(f"Unknown action “{action}”.", code="action")
    if not current.allows(action):
        raise ValidationError(
            f"A subscription that is {current.get_state_display().lower()} can't be "
            f"{PAST_TENSE[action]}.",
            code="transition",
        )
    _, target = Subscription.TRANSITIONS[action]
    current.state = target
    current.suspended_for_access = False
    current.state_comment = comment.strip()
    if target == Subscription.State.ACTIVE and current.activated_at is None:
        current.activated_at = _now()
    if target in (Subscription.State.CANCELLED, Subscription.State.REJECTED):
        current.ended_at = _now()
    current.full_clean()
    current.save()
    if target == Subscription.State.ACTIVE and current.owner_id is not None:
        # A request approved, or a subscription activated, for someone who
        # meanwhile lost sight of the product falls under the access rule.
        reconcile_access(owner_ids=[current.owner_id], product_ids=[current.product_id])
        current.refresh_from_db()
    # Approved but suspended at once by the access rule: the developer gets
    # the rule's "access removed" email instead of a misleading "approved".
    if action == "approve" and current.state == Subscription.State.ACTIVE:
        transaction.on_commit(
            partial(notify.subscription_approved, subscription_id=current.pk), robust=True
        )
    elif action == "reject":
        transaction.on_commit(
            partial(notify.subscription_rejected, subscription_id=current.pk), robust=True
        )
    return current


PAST_TENSE = {
    "approve": "approved",
    "reject": "rejected",
    "suspend": "suspended",
    "activate": "activated",
    "cancel": "cancelled",
}


@transaction.atomic
def regenerate_key(*, subscription: Subscription, which: str) -> Subscription:
    """Replace the primary or secondary key; the old one stops working at once."""
    field = {"primary": "primary_secret", "secondary": "secondary_secret"}[which]
    # Re-read under lock and write only this field, so a state change made
    # since the caller read the row is never undone.
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    setattr(current, field, new_subscription_key())
    current.save(update_fields=[field, "version"])
    return current


@transaction.atomic
def rename_subscription(*, subscription: Subscription, display_name: str) -> Subscription:
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    current.display_name = display_name
    current.full_clean()
    current.save(update_fields=["display_name", "version"])
    return current


RULE_FIELDS = ["state", "suspended_for_access", "state_comment", "version"]


def reconcile_access(
    *, owner_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None
) -> None:
    """Apply the console's rule for developers who lost, or regained, sight of products.

    With the "suspend" rule, active subscriptions to products no longer
    shared with their owner are suspended ("Access removed") and the owner
    is told. Whatever the rule, subscriptions this rule suspended become
    active again once the product is shared with the owner again.
    Publishing state plays no part, as in Azure.
    """
    suspend = PortalSettings.load().on_access_loss == PortalSettings.AccessLoss.SUSPEND
    candidates = Subscription.objects.filter(owner__isnull=False).filter(
        Q(state=Subscription.State.ACTIVE) | Q(suspended_for_access=True)
    )
    if owner_ids is not None:
        candidates = candidates.filter(owner_id__in=list(owner_ids))
    if product_ids is not None:
        candidates = candidates.filter(product_id__in=list(product_ids))
    owner_ids_found = set(candidates.values_list("owner_id", flat=True))
    for owner in get_user_model().objects.filter(pk__in=owner_ids_found):
        suspended = []
        with transaction.atomic():
            # Locked and written field by field, so a key regenerated or a
            # state changed meanwhile is never written back.
            subscriptions = list(candidates.filter(owner=owner).select_for_update())
            shared = set(
                Product.objects.shared_with(owner)
                .filter(pk__in=[s.product_id for s in subscriptions])
                .values_list("pk", flat=True)
            )
            for subscription in subscriptions:
                sees = subscription.product_id in shared
                if subscription.is_active and not sees and suspend:
                    subscription.state = Subscription.State.SUSPENDED
                    subscription.suspended_for_access = True
                    subscription.state_comment = Subscription.ACCESS_REMOVED
                    subscription.save(update_fields=RULE_FIELDS)
                    suspended.append(subscription.pk)
                elif subscription.suspended_for_access and sees:
                    subscription.state = Subscription.State.ACTIVE
                    subscription.suspended_for_access = False
                    subscription.state_comment = ""
                    subscription.save(update_fields=RULE_FIELDS)
            if suspended:
                transaction.on_commit(
                    partial(notify.access_removed, owner_id=owner.pk, subscription_ids=suspended),
                    robust=True,
                )
